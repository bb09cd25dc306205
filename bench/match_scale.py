"""Matching at scale: 100,000 subscribers x 2,000 papers, everyone's top 10 with explanations.

Papers are the 2,000 real arXiv papers of the quality sample (real text, real authors). Subscribers
have 1-5 interests each (topics from a pool of every arXiv category name, and for a third of them
their own keywords), 20% have 5 liked and 2 disliked papers, 10% exclude a term, 10% follow an
author. Prints wall time and peak memory (max RSS) of the engine, lexical and with precomputed
embeddings, against a naive per-(subscriber, paper) Python loop measured on a sample in the same run
and extrapolated.

Run: .venv/bin/python bench/match_scale.py [--subscribers N] [--runs R] [--workers W]
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import random
import resource
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.ingest.normalise import author_match_key  # noqa: E402
from digest.matching.arxiv_taxonomy import CATEGORY_NAMES  # noqa: E402
from digest.matching.engine import Corpus, Engine, Interest, Subscribers  # noqa: E402
from digest.matching.text import STOPWORDS, parse_terms, parse_words, stem, words  # noqa: E402

CSV = ROOT.parent / "shared" / "data" / "arxiv-metadata-sample" / "arxiv-2007-sample.csv"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_papers() -> tuple[list[str], list[str], list[list[str]], list[list[str]]]:
    titles, abstracts, names, keys = [], [], [], []
    with CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            titles.append(row["title"])
            abstracts.append(row["abstract"])
            people = [p.strip() for p in row["authors"].replace(" and ", ",").split(",") if p.strip()][:20]
            names.append(people)
            keys.append([author_match_key(p) for p in people])
    return titles, abstracts, names, keys


def population(n: int, titles: list[str], keys: list[list[str]], seed: int = 1) -> Subscribers:
    rng = random.Random(seed)
    vocabulary = [
        w for w, c in Counter(w for t in titles for w in words(t)).items() if c >= 3 and w not in STOPWORDS
    ]
    n_topics = len(CATEGORY_NAMES)
    n_papers = len(titles)
    all_keys = [k for ks in keys for k in ks]
    topics, personal, liked, disliked, excluded, followed = [], [], [], [], [], []
    for i in range(n):
        interests = rng.randint(1, 5)
        own = rng.random() < 1 / 3
        topics.append(rng.sample(range(n_topics), interests - 1 if own else interests))
        personal.append(
            Interest(
                label="your keywords",
                keywords="\n".join(rng.sample(vocabulary, rng.randint(1, 3))),
                personal=True,
            )
            if own
            else None
        )
        if rng.random() < 0.2:
            picked = rng.sample(range(n_papers), 7)
            liked.append(picked[:5])
            disliked.append(picked[5:])
        else:
            liked.append([])
            disliked.append([])
        excluded.append(rng.choice(vocabulary) if rng.random() < 0.1 else "")
        followed.append([rng.choice(all_keys)] if rng.random() < 0.1 else [])
        del i
    return Subscribers(
        topics=topics,
        personal=personal,
        liked=liked,
        disliked=disliked,
        excluded=excluded,
        followed=followed,
        blocked=[[] for _ in range(n)],
    )


def naive(corpus: Corpus, interests: list[Interest], subscribers: Subscribers, sample: list[int]) -> float:
    """The obvious loop: for each subscriber, for each paper, a dict-based tf-idf score per interest,
    liked/disliked cosines, exclusions and authors, then a sort. Returns seconds per subscriber."""
    docs = []
    df: Counter[str] = Counter()
    for title, abstract in zip(corpus.titles, corpus.abstracts, strict=True):
        counts = Counter(stem(w) for w in words(title) * 3 + words(abstract) if w not in STOPWORDS)
        docs.append(counts)
        df.update(counts.keys())
    n = len(docs)
    vectors = []
    for counts in docs:
        vec = {t: (1 + math.log(c)) * math.log(n / df[t]) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({t: v / norm for t, v in vec.items()})

    def query(interest: Interest) -> dict[str, float]:
        terms = parse_terms(interest.keywords) + parse_words(interest.name)
        return {t.key: 1.0 for t in terms}

    topic_queries = [query(i) for i in interests]
    started = time.perf_counter()
    for s in sample:
        queries = [topic_queries[t] for t in subscribers.topics[s]]
        if subscribers.personal[s] is not None:
            queries.append(query(subscribers.personal[s]))
        banned = {t.key for t in parse_terms(subscribers.excluded[s])}
        follows = set(subscribers.followed[s])
        scored = []
        for p, vec in enumerate(vectors):
            if banned & vec.keys():
                continue
            score = max((sum(vec.get(t, 0.0) * w for t, w in q.items()) for q in queries), default=0.0)
            for liked in subscribers.liked[s]:
                score += 0.3 * sum(v * vectors[liked].get(t, 0.0) for t, v in vec.items())
            for disliked in subscribers.disliked[s]:
                score -= 0.5 * sum(v * vectors[disliked].get(t, 0.0) for t, v in vec.items())
            if follows & set(corpus.author_keys[p]):
                score += 1
            scored.append((score, p))
        scored.sort(reverse=True)
        _ = [f"score {score:.2f}" for score, _p in scored[:10]]
    return (time.perf_counter() - started) / len(sample)


def timed_runs(build: callable, runs: int, workers: int) -> tuple[list[float], int]:  # type: ignore[valid-type]
    times, results = [], 0
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        engine = build()
        ranking = engine.rank(k=10, chunk_size=2048, workers=workers)
        times.append(time.perf_counter() - started)
        results = len(ranking.why)
        del engine, ranking
    return times, results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive-sample", type=int, default=100)
    args = parser.parse_args()

    titles, abstracts, names, keys = load_papers()
    interests = [Interest(label=name, name=name) for name in CATEGORY_NAMES.values()]
    subscribers = population(args.subscribers, titles, keys)
    corpus = Corpus(titles=titles, abstracts=abstracts, author_keys=keys, author_names=names)
    print(f"{args.subscribers} subscribers, {len(titles)} papers, {len(interests)} shared topics")
    baseline_mb = peak_mb()
    print(f"peak memory before ranking (inputs loaded): {baseline_mb:.0f} MB")

    lexical, results = timed_runs(lambda: Engine(corpus, interests, subscribers), args.runs, args.workers)
    lexical_mb = peak_mb()
    print(
        f"engine, lexical:            median {statistics.median(lexical):.2f} s over {args.runs} runs "
        f"({', '.join(f'{t:.2f}' for t in lexical)}); {results} results with explanations; peak {lexical_mb:.0f} MB"
    )

    rng = np.random.default_rng(0)
    dim = 384

    def unit(rows: int) -> np.ndarray:
        matrix = rng.standard_normal((rows, dim)).astype(np.float32)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    # Precomputed vectors: the timing of the arithmetic does not depend on what the vectors mean.
    semantic_corpus = replace(corpus, embeddings=unit(len(titles)))
    semantic_interests = [
        replace(i, embedding=v) for i, v in zip(interests, unit(len(interests)), strict=True)
    ]
    personal_vectors = unit(len(subscribers.personal))
    semantic_subscribers = replace(
        subscribers,
        personal=[
            replace(p, embedding=personal_vectors[i]) if p is not None else None
            for i, p in enumerate(subscribers.personal)
        ],
    )
    semantic, results = timed_runs(
        lambda: Engine(semantic_corpus, semantic_interests, semantic_subscribers), args.runs, args.workers
    )
    semantic_mb = peak_mb()
    print(
        f"engine, with embeddings:    median {statistics.median(semantic):.2f} s over {args.runs} runs "
        f"({', '.join(f'{t:.2f}' for t in semantic)}); {results} results; peak {semantic_mb:.0f} MB"
    )

    sample = random.Random(3).sample(range(args.subscribers), args.naive_sample)
    per_subscriber = naive(corpus, interests, subscribers, sample)
    extrapolated = per_subscriber * args.subscribers
    print(
        f"naive per-pair loop:        {per_subscriber * 1000:.1f} ms per subscriber on a sample of {len(sample)}, "
        f"extrapolated {extrapolated:.0f} s ({extrapolated / 60:.1f} min) for {args.subscribers}"
    )
    print(
        f"speed-up: lexical {extrapolated / statistics.median(lexical):.0f}x, "
        f"with embeddings {extrapolated / statistics.median(semantic):.0f}x"
    )
    print("targets on 2 cores: <= 5 s lexical, <= 10 s with embeddings, peak <= 1.5 GB")


if __name__ == "__main__":
    main()
