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
import multiprocessing
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.ingest.normalise import author_match_key  # noqa: E402
from digest.matching.arxiv_taxonomy import CATEGORY_NAMES  # noqa: E402
from digest.matching.engine import (  # noqa: E402
    Config,
    Corpus,
    Engine,
    Interest,
    Subscribers,
    _interest_terms,
    _query_rows,
    unit_rows,
)
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


def _slice(subscribers: Subscribers, lo: int, hi: int) -> Subscribers:
    return Subscribers(
        **{name: list(getattr(subscribers, name))[lo:hi] for name in Subscribers.__dataclass_fields__}
    )


# What a forked worker process inherits instead of receiving it pickled: in production each Celery
# worker loads its own chunk of subscribers from the database, nobody ships them all around.
_SHARED: tuple[Corpus, list[Interest], Subscribers] | None = None


def _rank_part(bounds: tuple[int, int]) -> tuple[int, float]:
    assert _SHARED is not None
    corpus, interests, subscribers = _SHARED
    lo, hi = bounds
    ranking = Engine(corpus, interests, _slice(subscribers, lo, hi)).rank(k=10, chunk_size=2048)
    return len(ranking.why), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_runs(
    corpus: Corpus,
    interests: list[Interest],
    subscribers: Subscribers,
    runs: int,
    workers: int,
    processes: int,
) -> tuple[list[float], int, float, float]:
    """Wall seconds per run, results per run, the peak memory of the run's processes added up, and
    CPU seconds per run."""
    times, results, peak = [], 0, 0.0
    cpu_started = _cpu()
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        if processes > 1:
            # Like Celery workers: each process takes a share of the subscribers and builds its own
            # engine (forked, so the inputs are shared copy-on-write).
            n = len(subscribers)
            bounds = [(n * i // processes, n * (i + 1) // processes) for i in range(processes)]
            global _SHARED
            _SHARED = (corpus, interests, subscribers)
            context = multiprocessing.get_context("fork")
            with context.Pool(processes) as pool:
                parts = pool.map(_rank_part, bounds)
            results = sum(count for count, _ in parts)
            peak = max(peak, peak_mb() + sum(rss for _, rss in parts))
        else:
            engine = Engine(corpus, interests, subscribers)
            ranking = engine.rank(k=10, chunk_size=2048, workers=workers)
            results = len(ranking.why)
            del engine, ranking
            peak = max(peak, peak_mb())
        times.append(time.perf_counter() - started)
    return times, results, peak, (_cpu() - cpu_started) / runs


def _cpu() -> float:
    """CPU seconds of this process and its finished children: on a busy machine wall time says
    little, CPU time says what the work costs."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="also time N forked processes splitting the subscribers, as Celery workers would (default: off)",
    )
    parser.add_argument("--naive-sample", type=int, default=100)
    args = parser.parse_args()

    titles, abstracts, names, keys = load_papers()
    interests = [Interest(label=name, name=name) for name in CATEGORY_NAMES.values()]
    subscribers = population(args.subscribers, titles, keys)
    corpus = Corpus(titles=titles, abstracts=abstracts, author_keys=keys, author_names=names)
    print(f"{args.subscribers} subscribers, {len(titles)} papers, {len(interests)} shared topics")
    print(f"memory with the inputs loaded: {peak_mb():.0f} MB; CPU cores: {os.cpu_count()}")

    def report(label: str, corpus: Corpus, interests: list[Interest], subscribers: Subscribers) -> float:
        best = math.inf
        modes = [(1, args.workers, f"1 process, {args.workers} threads")]
        if args.processes > 1:
            modes.append((args.processes, 1, f"{args.processes} processes"))
        for processes, workers, mode in modes:
            times, results, peak, cpu = timed_runs(
                corpus, interests, subscribers, args.runs, workers, processes
            )
            print(
                f"engine, {label:<16} {mode:<22} median {statistics.median(times):5.2f} s "
                f"({', '.join(f'{t:.2f}' for t in times)}); {results} results with explanations; "
                f"CPU {cpu:.2f} s; peak {peak:.0f} MB"
            )
            best = min(best, statistics.median(times))
        return best

    lexical = report("lexical", corpus, interests, subscribers)
    # Precomputed vectors standing in for sentence embeddings: a random projection of each text's
    # BM25 vector, so that similar texts get similar vectors (and realistic result counts) while
    # the arithmetic is exactly what 384-dimensional embeddings cost.
    rng = np.random.default_rng(0)
    probe = Engine(corpus, interests, Subscribers(topics=[[]]))
    width = probe.index.weights.shape[1]
    projection = rng.standard_normal((width, 384)).astype(np.float32)

    def project(rows: sp.csr_matrix) -> np.ndarray:
        return unit_rows(
            np.asarray(rows @ projection, dtype=np.float32)
            + 1e-3 * rng.standard_normal((rows.shape[0], 384)).astype(np.float32)
        )

    semantic_corpus = replace(corpus, embeddings=project(probe.index.unit))
    topic_vectors = project(_query_rows(probe.interest_terms, probe.index.vocabulary, width))
    semantic_interests = [replace(i, embedding=v) for i, v in zip(interests, topic_vectors, strict=True)]
    own = [i for i, p in enumerate(subscribers.personal) if p is not None]
    own_terms = [_interest_terms(subscribers.personal[i], Config()) for i in own]
    own_vectors = dict(zip(own, project(_query_rows(own_terms, probe.index.vocabulary, width)), strict=True))
    semantic_subscribers = replace(
        subscribers,
        personal=[
            replace(p, embedding=own_vectors[i]) if p is not None else None
            for i, p in enumerate(subscribers.personal)
        ],
    )
    semantic = report("with embeddings", semantic_corpus, semantic_interests, semantic_subscribers)

    sample = random.Random(3).sample(range(args.subscribers), args.naive_sample)
    per_subscriber = naive(corpus, interests, subscribers, sample)
    extrapolated = per_subscriber * args.subscribers
    print(
        f"naive per-pair loop:        {per_subscriber * 1000:.1f} ms per subscriber on a sample of {len(sample)}, "
        f"extrapolated {extrapolated:.0f} s ({extrapolated / 60:.1f} min) for {args.subscribers}"
    )
    print(
        f"speed-up (best mode): lexical {extrapolated / lexical:.0f}x, with embeddings {extrapolated / semantic:.0f}x"
    )
    print("targets on 2 cores: <= 5 s lexical, <= 10 s with embeddings, peak <= 1.5 GB")


if __name__ == "__main__":
    main()
