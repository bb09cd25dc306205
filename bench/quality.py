"""Ranking quality on 2,000 real arXiv papers from 2007.

Every category with at least 15 papers becomes a topic whose interest text is the category's name in
the arXiv taxonomy ("Superconductivity", "Number Theory"); a paper is relevant when it lists that
category. Prints mean precision@10 and MAP@50 for:

- baselines measured in this run: tf-idf cosine on the name; MiniLM cosine on the name; MiniLM
  centroid of 5 example papers;
- the product's engine (`digest.matching.engine`), lexical and semantic, name only and with 5 example
  papers per topic (the examples are removed from the ranking and from the relevant set).

The engine runs with its production configuration except the relevance threshold, which is
disabled here: this measures ordering, and a short list would otherwise count as misses.

Run: .venv/bin/python bench/quality.py [--csv PATH] [--no-semantic]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import random
import re
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.matching import embeddings  # noqa: E402
from digest.matching.arxiv_taxonomy import category_name  # noqa: E402
from digest.matching.engine import Config, Corpus, Engine, Interest, Subscribers  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "arxiv-metadata-sample" / "arxiv-2007-sample.csv"
MIN_PAPERS = 15
EXAMPLES = 5


def load(path: Path) -> tuple[list[str], list[str], list[set[str]]]:
    titles, abstracts, categories = [], [], []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            titles.append(row["title"])
            abstracts.append(row["abstract"])
            categories.append(set(row["categories"].split()))
    return titles, abstracts, categories


def evaluate(ranked: list[int], relevant: set[int]) -> tuple[float, float]:
    p10 = sum(1 for paper in ranked[:10] if paper in relevant) / 10
    hits, total = 0, 0.0
    for position, paper in enumerate(ranked[:50], start=1):
        if paper in relevant:
            hits += 1
            total += hits / position
    return p10, total / min(len(relevant), 50) if relevant else 0.0


def order(scores: np.ndarray, skip: set[int], depth: int = 60) -> list[int]:
    best = np.argsort(-scores, kind="stable")[: depth + len(skip)]
    return [int(i) for i in best if int(i) not in skip][:depth]


def tfidf_baseline(titles: list[str], abstracts: list[str], names: list[str]) -> np.ndarray:
    """Plain tf-idf (lower-case words, sublinear tf, l2) cosine between the name and each paper."""
    token = re.compile(r"[a-z0-9]+")
    vocabulary: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for row, text in enumerate(f"{t} {a}" for t, a in zip(titles, abstracts, strict=True)):
        for word, count in Counter(token.findall(text.lower())).items():
            rows.append(row)
            cols.append(vocabulary.setdefault(word, len(vocabulary)))
            vals.append(1 + math.log(count))
    docs = sp.csr_matrix((vals, (rows, cols)), shape=(len(titles), len(vocabulary)))
    df = np.bincount(docs.indices, minlength=len(vocabulary))
    idf = np.log((1 + len(titles)) / (1 + df)) + 1
    docs = docs @ sp.diags(idf)
    docs = sp.diags(1 / np.maximum(np.sqrt(docs.multiply(docs).sum(axis=1).A.ravel()), 1e-12)) @ docs
    q_rows, q_cols, q_vals = [], [], []
    for row, name in enumerate(names):
        for word, count in Counter(token.findall(name.lower())).items():
            if word in vocabulary:
                q_rows.append(row)
                q_cols.append(vocabulary[word])
                q_vals.append((1 + math.log(count)) * idf[vocabulary[word]])
    queries = sp.csr_matrix((q_vals, (q_rows, q_cols)), shape=(len(names), len(vocabulary)))
    return (queries @ docs.T).toarray()


def cached_embeddings(texts: list[str], label: str) -> np.ndarray:
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    cache = ROOT / "var" / "bench" / f"{label}-{embeddings.MODEL_NAME}-{digest}.npy"
    if cache.exists():
        return np.load(cache)
    started = time.perf_counter()
    vectors = embeddings.encode(texts)
    print(f"  embedded {len(texts)} {label} texts in {time.perf_counter() - started:.1f} s")
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def engine_scores(corpus: Corpus, interests: list[Interest]) -> np.ndarray:
    """topics x papers scores from the product engine, one subscriber per topic."""
    engine = Engine(
        corpus,
        interests,
        Subscribers(topics=[[i] for i in range(len(interests))]),
        replace(Config(), threshold=-1.0),
    )
    return engine.topic_scores


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--no-semantic", action="store_true")
    args = parser.parse_args()

    titles, abstracts, categories = load(args.csv)
    counts = Counter(code for cats in categories for code in cats)
    codes = sorted(code for code, count in counts.items() if count >= MIN_PAPERS)
    names = [category_name(code) for code in codes]
    relevant = {code: {i for i, cats in enumerate(categories) if code in cats} for code in codes}
    rng = random.Random(2007)
    examples = {code: sorted(rng.sample(sorted(relevant[code]), EXAMPLES)) for code in codes}
    print(f"{len(titles)} papers, {len(codes)} topics (categories with >= {MIN_PAPERS} papers)")

    results: list[tuple[str, float, float, float]] = []

    def report(label: str, matrix: np.ndarray, with_examples: bool, seconds: float) -> None:
        p10s, aps = [], []
        for row, code in enumerate(codes):
            skip = set(examples[code]) if with_examples else set()
            p10, ap = evaluate(order(matrix[row], skip), relevant[code] - skip)
            p10s.append(p10)
            aps.append(ap)
        results.append((label, float(np.mean(p10s)), float(np.mean(aps)), seconds))
        print(f"  {label:<46} P@10 {np.mean(p10s):.3f}   MAP@50 {np.mean(aps):.3f}   {seconds:6.2f} s")

    started = time.perf_counter()
    report(
        "baseline: tf-idf on the name",
        tfidf_baseline(titles, abstracts, names),
        False,
        time.perf_counter() - started,
    )

    name_only = [Interest(label=name, name=name) for name in names]
    with_examples = [
        Interest(label=name, name=name, examples=tuple(examples[code]))
        for name, code in zip(names, codes, strict=True)
    ]
    corpus = Corpus(titles=titles, abstracts=abstracts)
    started = time.perf_counter()
    report(
        "engine lexical, name only", engine_scores(corpus, name_only), False, time.perf_counter() - started
    )
    started = time.perf_counter()
    report(
        "engine lexical, name + 5 examples",
        engine_scores(corpus, with_examples),
        True,
        time.perf_counter() - started,
    )

    if args.no_semantic or not embeddings.available():
        print("  (semantic runs skipped: the semantic extra is not installed)")
    else:
        paper_vectors = cached_embeddings(
            [embeddings.paper_text(t, a) for t, a in zip(titles, abstracts, strict=True)], "papers"
        )
        name_vectors = embeddings.encode(names)
        started = time.perf_counter()
        report(
            "baseline: MiniLM cosine on the name",
            name_vectors @ paper_vectors.T,
            False,
            time.perf_counter() - started,
        )
        centroids = np.stack([paper_vectors[examples[code]].mean(axis=0) for code in codes])
        started = time.perf_counter()
        report(
            "baseline: MiniLM centroid of 5 examples",
            centroids @ paper_vectors.T,
            True,
            time.perf_counter() - started,
        )
        semantic_corpus = Corpus(titles=titles, abstracts=abstracts, embeddings=paper_vectors)
        semantic_name = [replace(i, embedding=v) for i, v in zip(name_only, name_vectors, strict=True)]
        semantic_examples = [
            replace(i, embedding=v) for i, v in zip(with_examples, name_vectors, strict=True)
        ]
        started = time.perf_counter()
        report(
            "engine semantic, name only",
            engine_scores(semantic_corpus, semantic_name),
            False,
            time.perf_counter() - started,
        )
        started = time.perf_counter()
        report(
            "engine semantic, name + 5 examples",
            engine_scores(semantic_corpus, semantic_examples),
            True,
            time.perf_counter() - started,
        )

    baseline = results[0][1]
    print(
        f"\nratio of the best engine P@10 to the tf-idf baseline: {max(r[1] for r in results[1:]) / baseline:.2f}x"
    )
    print("targets: name only >= 0.35 lexical, >= 0.55 semantic; with 5 examples >= 0.65")


if __name__ == "__main__":
    main()
