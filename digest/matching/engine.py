"""The matching engine: which papers each subscriber should see, how much, and why.

Pure numpy/scipy, no Django: the service layer loads rows into these plain structures, a benchmark
builds them synthetically. Everything is array work over all subscribers of a chunk at once:

- papers become a BM25F-weighted sparse matrix (title weighted above abstract) over a vocabulary
  of stems plus the phrases somebody asked for;
- interests (curated topics, a subscriber's own keywords) become sparse query rows; shared topics
  are scored once for every paper, personal keyword rows per chunk;
- optional dense sentence embeddings add a semantic cosine;
- example papers (a topic's, a subscriber's), liked and disliked papers act as a Rocchio profile;
- followed authors always qualify, featured papers get a boost, excluded terms, hidden papers and
  papers already sent are masks;
- a relevance threshold, then top-k per subscriber with `argpartition`; explanations are built only
  for the winners.

A subscriber's result never depends on which other subscribers share its chunk, so the chunked run
equals the single-shot run.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import scipy.sparse as sp

from digest.matching.text import STOPWORDS, Term, parse_terms, parse_words, root, text_stems

NEG = np.float32(-np.inf)


@dataclass(frozen=True)
class Config:
    title_weight: float = 3.0
    k1: float = 1.2
    b: float = 0.75
    # Free text (a topic's description) counts less than the curated keywords and the name.
    text_weight: float = 0.35
    # Words sharing a derivational root ("superconductivity" ~ "superconducting").
    sibling_weight: float = 0.6
    # BM25 with relative idf -> [0, 1): a rare term in the title lands around 0.8, in the abstract
    # around 0.6; a word that a quarter of all papers use stays near the threshold.
    lexical_scale: float = 1.0
    # Pseudo-relevance feedback: the best few papers for an interest widen its query vocabulary.
    prf_docs: int = 10
    prf_weight: float = 0.5
    # The same in embedding space, as a share of the name's own cosine.
    semantic_prf_weight: float = 0.5
    # MiniLM cosines: unrelated ~0.1, on topic ~0.5; mapped to [0, 1].
    semantic_floor: float = 0.1
    semantic_span: float = 0.45
    semantic_weight: float = 0.9
    # Document-document cosines of BM25 vectors: related papers ~0.15-0.4.
    similar_span: float = 0.3
    example_weight: float = 0.85
    liked_weight: float = 0.35
    disliked_weight: float = 0.6
    featured_boost: float = 0.1
    author_boost: float = 0.5
    threshold: float = 0.3


@dataclass
class Corpus:
    """Candidate papers followed by reference papers (examples, liked, disliked) in one index."""

    titles: Sequence[str]
    abstracts: Sequence[str]
    # Author match keys per paper (see `digest.ingest` name normalisation) and display names.
    author_keys: Sequence[Sequence[str]] = ()
    author_names: Sequence[Sequence[str]] = ()
    # Only the first `n_candidates` rows may be recommended; the rest are references.
    n_candidates: int | None = None
    featured: np.ndarray | None = None
    hidden: np.ndarray | None = None
    # L2-normalised sentence embeddings, one row per paper, or None for lexical-only runs.
    embeddings: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.titles)


@dataclass(frozen=True)
class Interest:
    """A curated topic or a subscriber's own keywords."""

    label: str
    keywords: str = ""  # one term or "quoted phrase" per line
    text: str = ""  # name/description: content words, weighted lower than keywords
    name: str = ""  # the topic name: its words count like keywords
    examples: tuple[int, ...] = ()  # corpus rows
    embedding: np.ndarray | None = None
    personal: bool = False  # "your keywords" rather than a named topic


@dataclass
class Subscribers:
    """Per subscriber: indices into the shared `Interest` list, an optional personal interest, and the
    profile. Lists of equal length; the engine never sees ids, only positions."""

    topics: Sequence[Sequence[int]]
    personal: Sequence[Interest | None] = ()
    liked: Sequence[Sequence[int]] = ()  # corpus rows: liked papers and own example papers
    disliked: Sequence[Sequence[int]] = ()
    excluded: Sequence[str] = ()  # "not interested in" lines
    followed: Sequence[Sequence[str]] = ()  # author match keys
    blocked: Sequence[Sequence[int]] = ()  # corpus rows never to show again (already sent)

    def __len__(self) -> int:
        return len(self.topics)


@dataclass
class Ranking:
    """Flat results, grouped by subscriber position and best first within each."""

    subscriber: np.ndarray
    paper: np.ndarray
    score: np.ndarray
    why: list[str]

    def for_subscriber(self, position: int) -> list[tuple[int, float, str]]:
        rows = np.flatnonzero(self.subscriber == position)
        return [(int(self.paper[i]), float(self.score[i]), self.why[i]) for i in rows]


@dataclass
class _Index:
    vocabulary: dict[str, int]
    weights: sp.csr_matrix  # papers x terms, BM25F
    unit: sp.csr_matrix  # rows of `weights` scaled to length 1, for paper-paper cosines
    present: sp.csr_matrix  # papers x terms, 1 where the term occurs anywhere
    idf: np.ndarray


def _features(tokens: Sequence[str], phrase_lengths: Sequence[int], phrases: set[str]) -> list[str]:
    found = [token for token in tokens if token not in STOPWORDS and len(token) > 1]
    for n in phrase_lengths:
        for start in range(len(tokens) - n + 1):
            gram = " ".join(tokens[start : start + n])
            if gram in phrases:
                found.append(gram)
    return found


def build_index(corpus: Corpus, phrases: set[str], config: Config) -> _Index:
    lengths = sorted({len(phrase.split()) for phrase in phrases})
    vocabulary: dict[str, int] = {}
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    doc_lengths = np.zeros(len(corpus), dtype=np.float64)
    for row, (title, abstract) in enumerate(zip(corpus.titles, corpus.abstracts, strict=True)):
        counts: dict[int, float] = {}
        title_features = _features(text_stems(title), lengths, phrases)
        abstract_features = _features(text_stems(abstract), lengths, phrases)
        for feature in title_features:
            column = vocabulary.setdefault(feature, len(vocabulary))
            counts[column] = counts.get(column, 0.0) + config.title_weight
        for feature in abstract_features:
            column = vocabulary.setdefault(feature, len(vocabulary))
            counts[column] = counts.get(column, 0.0) + 1.0
        doc_lengths[row] = config.title_weight * len(title_features) + len(abstract_features)
        indices.extend(counts)
        data.extend(counts.values())
        indptr.append(len(indices))
    shape = (len(corpus), max(len(vocabulary), 1))
    tf = sp.csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
        shape=shape,
    )
    n_docs = max(len(corpus), 1)
    df = np.bincount(tf.indices, minlength=shape[1]).astype(np.float64)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    average = doc_lengths.mean() if len(corpus) else 1.0
    norm = config.k1 * (1 - config.b + config.b * doc_lengths / max(average, 1e-9))
    weights = tf.copy()
    row_norm = np.repeat(norm, np.diff(tf.indptr))
    # idf relative to the rarest possible term: scores mean the same on a quiet day and a busy one.
    relative_idf = idf / np.log1p((n_docs - 0.5) / 1.5) if n_docs > 1 else np.ones_like(idf)
    weights.data = relative_idf[weights.indices] * tf.data * (config.k1 + 1) / (tf.data + row_norm)
    weights = weights.astype(np.float32)
    lengths_l2 = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    unit = sp.diags(1 / np.maximum(lengths_l2, 1e-9)).astype(np.float32) @ weights
    present = tf.copy()
    present.data = np.ones_like(present.data, dtype=np.float32)
    return _Index(vocabulary, weights.tocsr(), unit.tocsr(), present.astype(np.float32).tocsr(), idf)


def _interest_terms(interest: Interest, config: Config) -> list[tuple[Term, float]]:
    if not interest.name and not interest.text:
        return [(term, 1.0) for term in parse_terms(interest.keywords)]
    weighted: dict[str, tuple[Term, float]] = {}
    for term in parse_terms(interest.keywords) + parse_words(interest.name):
        weighted.setdefault(term.key, (term, 1.0))
    for term in parse_words(interest.text):
        weighted.setdefault(term.key, (term, config.text_weight))
    return list(weighted.values())


def _query_rows(
    term_lists: Sequence[list[tuple[Term, float]]],
    vocabulary: dict[str, int],
    width: int,
    siblings: dict[str, list[int]] | None = None,
    sibling_weight: float = 0.0,
) -> sp.csr_matrix:
    """Sparse query rows; with `siblings`, a single word also reaches the vocabulary words that
    share its derivational root, at `sibling_weight` of its own weight."""
    rows, cols, vals = [], [], []
    for row, terms in enumerate(term_lists):
        if not terms:
            continue
        seen: dict[int, float] = {}
        for term, weight in terms:
            column = vocabulary.get(term.key)
            if column is not None:
                seen[column] = max(seen.get(column, 0.0), weight)
            if siblings is not None and not term.is_phrase:
                for sibling in siblings.get(root(term.key), ()):
                    seen[sibling] = max(seen.get(sibling, 0.0), weight * sibling_weight)
        rows.extend([row] * len(seen))
        cols.extend(seen)
        vals.extend(seen.values())
    return sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(term_lists), width))


def _padded(lists: Sequence[Sequence[int]], n: int, fill: int) -> np.ndarray:
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=n)
    width = int(lengths.max()) if n else 0
    out = np.full((n, width), fill, dtype=np.int64)
    if lengths.any():
        rows = np.repeat(np.arange(n), lengths)
        columns = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        out[rows, columns] = np.fromiter((item for items in lists for item in items), dtype=np.int64)
    return out


def _row_mean_matrix(lists: Sequence[Sequence[int]], n: int, width: int) -> sp.csr_matrix:
    """Sparse rows averaging the listed columns (a Rocchio centroid as a matrix product)."""
    rows, cols, vals = [], [], []
    for row, items in enumerate(lists):
        unique = sorted(set(items))
        for item in unique:
            rows.append(row)
            cols.append(item)
            vals.append(1.0 / len(unique))
    return sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(n, width))


def _shorten(title: str, limit: int = 80) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


class Engine:
    """Prepared once per run (papers, shared topics), then ranks any chunk of subscribers."""

    def __init__(
        self,
        corpus: Corpus,
        interests: Sequence[Interest],
        subscribers: Subscribers,
        config: Config | None = None,
    ) -> None:
        self.config = config or Config()
        self.corpus = corpus
        self.interests = list(interests)
        self.subscribers = subscribers
        n_sub = len(subscribers)
        self.n_papers = len(corpus)
        self.n_candidates = corpus.n_candidates if corpus.n_candidates is not None else self.n_papers

        personal = list(subscribers.personal) or [None] * n_sub
        self.personal = personal
        self.interest_terms = [_interest_terms(interest, self.config) for interest in self.interests]
        self.personal_terms = [
            _interest_terms(interest, self.config) if interest else [] for interest in personal
        ]
        excluded = list(subscribers.excluded) or [""] * n_sub
        self.excluded_terms = [parse_terms(text) for text in excluded]
        phrases = {
            term.key
            for terms in (*self.interest_terms, *self.personal_terms)
            for term, _ in terms
            if term.is_phrase
        }
        phrases |= {term.key for terms in self.excluded_terms for term in terms if term.is_phrase}
        self.index = build_index(corpus, phrases, self.config)
        self.siblings: dict[str, list[int]] = {}
        for key, column in self.index.vocabulary.items():
            if " " not in key:
                self.siblings.setdefault(root(key), []).append(column)
        width = self.index.weights.shape[1]
        self.weights_t = self.index.weights.T.tocsr()

        # Shared topics: scored once for every paper, as float32 (topics x papers).
        self.topic_scores, self.topic_lexical = self._interest_scores(
            self.interests, self.interest_terms, width
        )
        self.exclusion_q = _query_rows(
            [[(t, 1.0) for t in terms] for terms in self.excluded_terms], self.index.vocabulary, width
        )
        self.exclusion_q.data[:] = 1.0

        # Authors: a papers x author-key incidence matrix and each subscriber's followed keys.
        author_vocabulary: dict[str, int] = {}
        rows, cols = [], []
        for row, keys in enumerate(corpus.author_keys):
            for key in keys:
                rows.append(row)
                cols.append(author_vocabulary.setdefault(key, len(author_vocabulary)))
        self.author_keys = author_vocabulary
        self.paper_authors_t = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (cols, rows)),
            shape=(len(author_vocabulary), self.n_papers),
        )
        followed = list(subscribers.followed) or [[] for _ in range(n_sub)]
        frows, fcols = [], []
        for row, keys in enumerate(followed):
            for key in keys:
                if key in author_vocabulary:
                    frows.append(row)
                    fcols.append(author_vocabulary[key])
        self.followed = followed
        self.follow_q = sp.csr_matrix(
            (np.ones(len(frows), dtype=np.float32), (frows, fcols)), shape=(n_sub, len(author_vocabulary))
        )

        # Rocchio profile: liked (and own example) papers pull up, disliked push down.
        liked = list(subscribers.liked) or [[] for _ in range(n_sub)]
        disliked = list(subscribers.disliked) or [[] for _ in range(n_sub)]
        self.liked, self.disliked = liked, disliked
        references = sorted({row for items in (*liked, *disliked) for row in items})
        self.reference_position = {row: i for i, row in enumerate(references)}
        self.reference_similarity = self._similarity(references) if references else None
        as_positions = lambda lists: [[self.reference_position[r] for r in items] for items in lists]  # noqa: E731
        self.liked_positions = _padded(as_positions(liked), n_sub, -1)
        self.disliked_positions = _padded(as_positions(disliked), n_sub, -1)

        self.topic_index = _padded(subscribers.topics, n_sub, -1)
        blocked = list(subscribers.blocked) or [[] for _ in range(n_sub)]
        self.blocked = blocked

        # Everything below is per candidate column only: reference papers are never ranked.
        nc = self.n_candidates
        # Row -1 (a padding slot in `topic_index`) is all zeros.
        self.topic_pad = np.vstack([self.topic_scores[:, :nc], np.zeros((1, nc), dtype=np.float32)])
        self.reference_candidates = (
            np.ascontiguousarray(self.reference_similarity[:, :nc])
            if self.reference_similarity is not None
            else None
        )
        self.present_candidates_t = self.index.present[:nc].T.tocsr()
        self.paper_authors_candidates_t = self.paper_authors_t[:, :nc].tocsr()
        hidden = (
            np.asarray(corpus.hidden, dtype=bool)[:nc] if corpus.hidden is not None else np.zeros(nc, bool)
        )
        self.hidden_columns = np.flatnonzero(hidden)
        self.featured = (
            np.asarray(corpus.featured, dtype=bool)
            if corpus.featured is not None
            else np.zeros(self.n_papers, bool)
        )
        self.featured_columns = np.flatnonzero(self.featured[:nc] & ~hidden)
        # (part, sentence) by topic * n_candidates + paper
        self._interest_part: dict[int, tuple[str, str]] = {}
        self._liked_part: dict[int, str] = {}
        self._checks: dict[int, list[tuple[str, str, frozenset[int]]]] = {}

    # --- scoring pieces ------------------------------------------------------------------------

    def _similarity(self, rows: Sequence[int]) -> np.ndarray:
        """Calibrated similarity of the given papers to every paper: lexical, averaged with
        semantic when embeddings exist (len(rows) x papers, float32 in [0, 1])."""
        config = self.config
        unit = self.index.unit
        lexical = (unit[list(rows)] @ unit.T).toarray().astype(np.float32)
        lexical = (1 - np.exp(-np.maximum(lexical, 0) / config.similar_span)).astype(np.float32)
        embeddings = self.corpus.embeddings
        if embeddings is None:
            return lexical
        semantic = self._calibrate_semantic(embeddings[list(rows)] @ embeddings.T)
        return ((lexical + semantic) / 2).astype(np.float32)

    def _interest_scores(
        self, interests: Sequence[Interest | None], term_lists: Sequence[list[tuple[Term, float]]], width: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """interests x papers relevance in [0, 1), and the raw lexical part (for explanations)."""
        config = self.config
        q = _query_rows(term_lists, self.index.vocabulary, width, self.siblings, config.sibling_weight)
        raw = np.asarray((q @ self.weights_t).todense(), dtype=np.float32)
        shared = not any(i is not None and i.personal for i in interests)
        examples = [interest.examples if interest is not None else () for interest in interests]
        has_examples = np.asarray([bool(items) for items in examples], dtype=bool)[:, None]
        no_examples = ~has_examples[:, 0]
        if config.prf_docs and raw.size and shared:
            # Pseudo-relevance feedback: the top papers' vocabulary, a fraction as strong, widens a
            # short query ("Superconductivity") to the words its papers actually use.
            m = min(config.prf_docs, self.n_candidates)
            if m:
                top = np.argpartition(-raw[:, : self.n_candidates], m - 1, axis=1)[:, :m]
                picked = np.take_along_axis(raw, top, axis=1) > 0
                rows = np.repeat(np.arange(raw.shape[0]), m)[picked.ravel()]
                cols = top.ravel()[picked.ravel()]
                selector = sp.csr_matrix(
                    (np.full(len(rows), 1.0 / m, dtype=np.float32), (rows, cols)), shape=raw.shape
                )
                centroid = selector @ self.index.unit
                expanded = np.asarray((centroid @ self.index.unit.T).todense(), dtype=np.float32)
                raw_max = raw.max(axis=1, keepdims=True)
                raw = raw + config.prf_weight * raw_max * expanded
        lexical = -np.expm1(raw * np.float32(-1 / config.lexical_scale), dtype=np.float32)
        embeddings = self.corpus.embeddings
        vectors = [interest.embedding if interest is not None else None for interest in interests]
        has_vector = np.asarray([v is not None for v in vectors], dtype=bool)[:, None]
        semantic = np.zeros_like(lexical)
        if embeddings is not None and has_vector.any():
            dim = embeddings.shape[1]
            matrix = np.stack([v if v is not None else np.zeros(dim, np.float32) for v in vectors])
            cosines = matrix.astype(np.float32) @ embeddings.T
            if shared and config.prf_docs:
                cosines = self._semantic_feedback(lexical, cosines, no_examples & has_vector[:, 0])
            semantic = self._calibrate_semantic(cosines)
        else:
            has_vector = np.zeros_like(has_vector)
        example = np.zeros_like(lexical)
        if has_examples.any():
            # Rocchio: the centroid of the example papers, compared with every paper.
            mean = _row_mean_matrix(examples, len(examples), self.n_papers)
            example = self._centroid_similarity(mean)
        if not has_vector.any() and not has_examples.any():
            # Text alone (every personal keyword row): the weighted mean below would be the identity.
            return lexical, lexical
        # Weighted mean of what this interest has: text alone, text and meaning, plus examples.
        w_sem = np.where(has_vector, config.semantic_weight, 0).astype(np.float32)
        w_ex = np.where(has_examples, config.example_weight, 0).astype(np.float32)
        w_lex = 1 - w_sem
        score = (1 - w_ex) * (w_lex * lexical + w_sem * semantic) + w_ex * example
        return score.astype(np.float32), lexical

    def _semantic_feedback(self, lexical: np.ndarray, cosines: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Pseudo-relevance feedback in embedding space for the given rows: a topic name is a short
        text, the centroid of its best papers says what its papers are about. Topics with example
        papers skip it, their examples already say so (and measured, it blurs them)."""
        config = self.config
        m = min(config.prf_docs, self.n_candidates)
        if not m or not rows.any():
            return cosines
        embeddings = self.corpus.embeddings
        assert embeddings is not None
        picked = np.flatnonzero(rows)
        w = config.semantic_weight
        text = (1 - w) * lexical[picked] + w * self._calibrate_semantic(cosines[picked])
        top = np.argpartition(-text[:, : self.n_candidates], m - 1, axis=1)[:, :m]
        centroid = embeddings[top].mean(axis=1)
        cosines = cosines.copy()
        a = config.semantic_prf_weight
        cosines[picked] = (1 - a) * cosines[picked] + a * (centroid @ embeddings.T)
        return cosines

    def _calibrate_semantic(self, cosines: np.ndarray) -> np.ndarray:
        config = self.config
        # Smooth saturation rather than a clip: the best matches keep their order.
        excess = np.maximum(cosines - config.semantic_floor, 0) / config.semantic_span
        return (1 - np.exp(-excess)).astype(np.float32)

    def _centroid_similarity(self, mean: sp.csr_matrix) -> np.ndarray:
        """rows of `mean` (weights over papers) -> calibrated similarity of their centroid to every
        paper, lexical and, with embeddings, averaged with semantic."""
        config = self.config
        unit = self.index.unit
        lexical = np.asarray(((mean @ unit) @ unit.T).todense(), dtype=np.float32)
        lexical = (1 - np.exp(-np.maximum(lexical, 0) / config.similar_span)).astype(np.float32)
        embeddings = self.corpus.embeddings
        if embeddings is None:
            return lexical
        semantic = self._calibrate_semantic(np.asarray(mean @ embeddings, dtype=np.float32) @ embeddings.T)
        return ((lexical + semantic) / 2).astype(np.float32)

    def _closest(self, positions: np.ndarray) -> np.ndarray:
        """For each row, the highest similarity of any listed reference paper to every paper."""
        out = np.zeros((positions.shape[0], self.n_candidates), dtype=np.float32)
        if self.reference_candidates is None:
            return out
        for j in range(positions.shape[1]):
            column = positions[:, j]
            has = column >= 0
            if has.all():
                np.maximum(out, self.reference_candidates[column], out=out)
            elif has.any():
                rows = np.flatnonzero(has)
                out[rows] = np.maximum(out[rows], self.reference_candidates[column[rows]])
        return out

    # --- ranking -------------------------------------------------------------------------------

    def rank(self, *, k: int, chunk_size: int = 4096, workers: int = 1) -> Ranking:
        n = len(self.subscribers)
        bounds = [(lo, min(lo + chunk_size, n)) for lo in range(0, n, chunk_size)]
        if workers > 1 and len(bounds) > 1:
            # numpy and scipy release the GIL in the heavy parts, so threads share the cores.
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(lambda b: self.rank_chunk(b[0], b[1], k=k), bounds))
        else:
            parts = [self.rank_chunk(lo, hi, k=k) for lo, hi in bounds]
        if not parts:
            return Ranking(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), [])
        return Ranking(
            np.concatenate([p.subscriber for p in parts]),
            np.concatenate([p.paper for p in parts]),
            np.concatenate([p.score for p in parts]),
            [why for p in parts for why in p.why],
        )

    def rank_chunk(self, lo: int, hi: int, *, k: int) -> Ranking:
        config = self.config
        c, n = hi - lo, self.n_candidates
        empty = Ranking(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), [])
        if c <= 0 or n == 0 or k <= 0:
            return empty
        # Best interest per paper: max over the subscriber's topics (padding picks the zero row)...
        topic_index = self.topic_index[lo:hi]
        score = np.zeros((c, n), dtype=np.float32)
        for j in range(topic_index.shape[1]):
            np.maximum(score, self.topic_pad[topic_index[:, j]], out=score)
        # ... and their own keywords, scored for this chunk only.
        personal = self.personal[lo:hi]
        personal_rows = np.asarray(
            [i for i, interest in enumerate(personal) if interest is not None], dtype=np.int64
        )
        personal_scores = None
        if len(personal_rows):
            width = self.index.weights.shape[1]
            personal_scores = self._interest_scores(
                [personal[i] for i in personal_rows],
                [self.personal_terms[lo + i] for i in personal_rows],
                width,
            )[0][:, :n]
            score[personal_rows] = np.maximum(score[personal_rows], personal_scores)

        # Rocchio: the closest liked (and disliked) paper counts, squared so that sharing a common
        # word or two barely moves a paper while a near neighbour moves it a lot.
        liked_rows = np.zeros(0, dtype=np.int64)
        if self.reference_candidates is not None:
            liked_rows = np.flatnonzero((self.liked_positions[lo:hi] >= 0).any(axis=1))
            if len(liked_rows):
                liked_part = self._closest(self.liked_positions[lo:hi][liked_rows]) ** 2
                # A profile of liked papers alone is enough to qualify.
                score[liked_rows] = (
                    np.maximum(score[liked_rows], liked_part) + config.liked_weight * liked_part
                )
            disliked_rows = np.flatnonzero((self.disliked_positions[lo:hi] >= 0).any(axis=1))
            if len(disliked_rows):
                score[disliked_rows] -= (
                    config.disliked_weight * self._closest(self.disliked_positions[lo:hi][disliked_rows]) ** 2
                )

        if len(self.featured_columns):
            featured = score[:, self.featured_columns]
            featured += np.where(featured > 0, np.float32(config.featured_boost), np.float32(0))
            score[:, self.featured_columns] = featured
        follows = (self.follow_q[lo:hi] @ self.paper_authors_candidates_t).tocoo()
        if follows.nnz:
            # Followed authors always qualify.
            score[follows.row, follows.col] = (
                np.maximum(score[follows.row, follows.col], config.threshold) + config.author_boost
            )

        score[:, self.hidden_columns] = NEG
        excluded = (self.exclusion_q[lo:hi] @ self.present_candidates_t).tocoo()
        score[excluded.row, excluded.col] = NEG
        blocked = self.blocked[lo:hi]
        b_rows = np.fromiter((i for i, items in enumerate(blocked) for r in items if r < n), dtype=np.int64)
        b_cols = np.fromiter((r for items in blocked for r in items if r < n), dtype=np.int64)
        score[b_rows, b_cols] = NEG

        # Top-k without a full argpartition: split the columns into k blocks; the smallest block
        # maximum is a floor that at least k papers reach, so only papers at or above it (and the
        # threshold) need sorting.
        width = (n // k) * k
        cutoff = np.full(c, config.threshold, dtype=np.float32)
        if width:
            floor = score[:, :width].reshape(c, k, width // k).max(axis=2).min(axis=1)
            np.maximum(cutoff, floor, out=cutoff)
        rows, cols = np.nonzero(score >= cutoff[:, None])
        values = score[rows, cols]
        order = np.lexsort((cols, -values, rows))
        rows, cols, values = rows[order], cols[order], values[order]
        first = np.searchsorted(rows, rows, side="left")
        keep = (np.arange(len(rows)) - first) < k
        rows, cols, values = rows[keep], cols[keep], values[keep]
        whys = self._explain(lo, rows, cols, personal_rows, personal_scores, follows)
        return Ranking(rows.astype(np.int64) + lo, cols.astype(np.int64), values.astype(np.float32), whys)

    # --- explanations --------------------------------------------------------------------------

    def _interest_checks(self, terms: list[tuple[Term, float]]) -> list[tuple[str, str, frozenset[int]]]:
        """Per term, the most telling first: (display, key, the columns that count as containing it)."""
        vocabulary, idf = self.index.vocabulary, self.index.idf
        checks = []
        for term, weight in terms:
            column = vocabulary.get(term.key)
            if column is not None:
                checks.append((weight * float(idf[column]), term.display, term.key, frozenset((column,))))
            elif not term.is_phrase:
                related = self.siblings.get(root(term.key), ())
                if related:
                    best = max(float(idf[c]) for c in related)
                    importance = weight * self.config.sibling_weight * best
                    checks.append((importance, term.display, term.key, frozenset(related)))
        checks.sort(key=lambda check: -check[0])
        return [(display, key, columns) for _, display, key, columns in checks]

    def _term_hits(
        self, checks: Sequence[list[tuple[str, str, frozenset[int]]]], owner: np.ndarray, paper: np.ndarray
    ) -> list[str]:
        """For each (owner, paper) pair, the owner's query terms that the paper contains (directly or
        through a derivational sibling), the most telling first, at most three, joined with commas
        ("" for none). One sparse product over the pairs' papers finds every hit."""
        starts = np.zeros(len(checks) + 1, dtype=np.int64)
        starts[1:] = np.cumsum([len(c) for c in checks])
        flat = [check for owner_checks in checks for check in owner_checks]
        if not flat or not len(owner):
            return [""] * len(owner)
        g_rows = [g for g, (_, _, columns) in enumerate(flat) for _ in columns]
        g_cols = [column for _, _, columns in flat for column in columns]
        check_columns = sp.csr_matrix(
            (np.ones(len(g_rows), dtype=np.float32), (g_rows, g_cols)), shape=(len(flat), len(self.index.idf))
        )
        papers, paper_position = np.unique(paper, return_inverse=True)
        found = (self.index.present[papers] @ check_columns.T).tocoo()
        found_keys = np.sort(found.row.astype(np.int64) * len(flat) + found.col)
        # Every (pair, check of its owner), in the owners' importance order.
        counts = starts[owner + 1] - starts[owner]
        pair = np.repeat(np.arange(len(owner)), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        g = np.repeat(starts[owner], counts) + np.arange(len(pair)) - first
        keys = paper_position.ravel()[pair] * len(flat) + g
        where = np.minimum(np.searchsorted(found_keys, keys), max(len(found_keys) - 1, 0))
        hit = found_keys[where] == keys if len(found_keys) else np.zeros(len(keys), dtype=bool)
        pair, g = pair[hit], g[hit]
        is_phrase = np.asarray([" " in key for _, key, _ in flat], dtype=bool)
        # The common case: no phrase among a pair's hits, so its first three hits are its terms.
        rank = np.arange(len(pair)) - np.searchsorted(pair, pair)
        keep = rank < 3
        displays = np.asarray([display for display, _, _ in flat] + [""], dtype=object)[:-1]
        chosen = displays[g[keep]].tolist()
        bounds = np.searchsorted(pair[keep], np.arange(len(owner) + 1)).tolist()
        out = [", ".join(chosen[lo:hi]) for lo, hi in pairwise(bounds)]
        for p in np.unique(pair[is_phrase[g]]).tolist():
            hits = [flat[i] for i in g[pair == p].tolist()]
            # "quantum annealing" already says "annealing": a word inside a matched phrase adds nothing.
            inside = {w for _, key, _ in hits if " " in key for w in key.split()}
            out[p] = ", ".join([d for d, key, _ in hits if " " in key or key not in inside][:3])
        return out

    def _topic_parts(self, interest: np.ndarray, paper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """“matches <topic>: terms” per winner, and the same as a whole reason (“Matches …”); each
        built once per (topic, paper) for the whole run."""
        n = self.n_candidates
        pairs, inverse = np.unique(interest * n + paper, return_inverse=True)
        missing = [pair for pair in pairs.tolist() if pair not in self._interest_part]
        if missing:
            owners, papers = np.divmod(np.asarray(missing, dtype=np.int64), n)
            for owner in np.unique(owners).tolist():
                if owner not in self._checks:
                    self._checks[owner] = self._interest_checks(self.interest_terms[owner])
            ids = np.unique(owners).tolist()
            local = {owner: i for i, owner in enumerate(ids)}
            terms = self._term_hits(
                [self._checks[owner] for owner in ids],
                np.asarray([local[o] for o in owners.tolist()]),
                papers,
            )
            for pair, owner, found in zip(missing, owners.tolist(), terms, strict=True):
                label = self.interests[owner].label
                part = f"matches “{label}”: {found}" if found else f"close to “{label}”"
                self._interest_part[pair] = (part, _sentence(part))
        # A trailing sentinel keeps numpy from building a 2-D array out of the pairs.
        known = [self._interest_part[pair] for pair in pairs.tolist()] + [("", "")]
        parts = np.asarray([part for part, _ in known], dtype=object)[:-1]
        sentences = np.asarray([sentence for _, sentence in known], dtype=object)[:-1]
        return parts[inverse.ravel()], sentences[inverse.ravel()]

    def _personal_parts(self, subscriber: np.ndarray, paper: np.ndarray) -> list[str]:
        owners, owner_position = np.unique(subscriber, return_inverse=True)
        checks = [self._interest_checks(self.personal_terms[owner]) for owner in owners.tolist()]
        return [
            f"matches your keywords: {found}" if found else "close to your keywords"
            for found in self._term_hits(checks, owner_position.ravel(), paper)
        ]

    def _explain(
        self,
        lo: int,
        rows: np.ndarray,
        cols: np.ndarray,
        personal_rows: np.ndarray,
        personal_scores: np.ndarray | None,
        follows: sp.coo_matrix,
    ) -> list[str]:
        if not len(rows):
            return []
        # Which interest carried each winner: recomputed for the winners only.
        slots = self.topic_index[lo + rows]
        if slots.shape[1]:
            per_slot = self.topic_pad[slots, cols[:, None]]
            pick = per_slot.argmax(axis=1)
            interest = slots[np.arange(len(rows)), pick]
            interest_score = per_slot[np.arange(len(rows)), pick]
        else:
            interest = np.full(len(rows), -1, dtype=np.int64)
            interest_score = np.zeros(len(rows), dtype=np.float32)
        interest = np.where(interest_score > 0, interest, -1)
        if personal_scores is not None:
            where = np.searchsorted(personal_rows, rows)
            has = (where < len(personal_rows)) & (
                personal_rows[np.minimum(where, len(personal_rows) - 1)] == rows
            )
            own = np.zeros(len(rows), dtype=np.float32)
            own[has] = personal_scores[where[has], cols[has]]
            interest = np.where(has & (own > 0) & (own >= interest_score), -2, interest)
        n = self.n_candidates
        followed = np.isin(rows.astype(np.int64) * n + cols, follows.row.astype(np.int64) * n + follows.col)
        # The liked paper that most resembles each winner, when it resembles it clearly.
        liked_row = np.full(len(rows), -1, dtype=np.int64)
        if self.reference_candidates is not None:
            positions = self.liked_positions[lo + rows]
            if positions.shape[1]:
                sims = np.where(
                    positions >= 0, self.reference_candidates[np.maximum(positions, 0), cols[:, None]], -1
                )
                best = sims.argmax(axis=1)
                strong = sims[np.arange(len(rows)), best] >= 0.5
                references = np.asarray(sorted(self.reference_position), dtype=np.int64)
                liked_row[strong] = references[positions[np.arange(len(rows)), best][strong]]
        author = np.full(len(rows), -1, dtype=np.int64)
        for i in np.flatnonzero(followed).tolist():
            wanted = set(self.followed[lo + int(rows[i])])
            author[i] = next(
                j for j, key in enumerate(self.corpus.author_keys[int(cols[i])]) if key in wanted
            )
        featured = self.featured[cols]
        parts = np.full(len(rows), "", dtype=object)
        whys = np.empty(len(rows), dtype=object)
        topical = interest >= 0
        if topical.any():
            parts[topical], whys[topical] = self._topic_parts(interest[topical], cols[topical])
        own = interest == -2
        if own.any():
            parts[own] = self._personal_parts(lo + rows[own], cols[own])
        # The common cases, a topic's paper or own keywords and nothing else, are a part alone.
        alone = (author < 0) & (liked_row < 0) & ~featured
        if own.any():
            whys[alone & own] = [_sentence(part) for part in parts[alone & own].tolist()]
        rest = np.flatnonzero(~(alone & (topical | own)))
        whys[rest] = [
            self._why(paper, part, who, like, star)
            for paper, part, who, like, star in zip(
                cols[rest].tolist(),
                parts[rest].tolist(),
                author[rest].tolist(),
                liked_row[rest].tolist(),
                featured[rest].tolist(),
                strict=True,
            )
        ]
        return whys.tolist()

    def _why(self, paper: int, part: str, author: int, liked: int, featured: bool) -> str:
        parts = []
        if author >= 0:
            names = (
                self.corpus.author_names[paper]
                if self.corpus.author_names
                else self.corpus.author_keys[paper]
            )
            parts.append(f"by {names[author]}, whom you follow")
        if part:
            parts.append(part)
        if liked >= 0:
            liked_part = self._liked_part.get(liked)
            if liked_part is None:
                liked_part = self._liked_part[liked] = (
                    f"similar to “{_shorten(self.corpus.titles[liked])}” you liked"
                )
            parts.append(liked_part)
        if featured:
            parts.append("featured by the curators")
        return _sentence("; ".join(parts) or "similar to papers you liked")


def _sentence(why: str) -> str:
    why = why[0].upper() + why[1:]
    return why if len(why) <= 500 else why[:499] + "…"


def rank(
    corpus: Corpus,
    interests: Sequence[Interest],
    subscribers: Subscribers,
    *,
    k: int,
    config: Config | None = None,
    chunk_size: int = 4096,
    workers: int = 1,
) -> Ranking:
    return Engine(corpus, interests, subscribers, config).rank(k=k, chunk_size=chunk_size, workers=workers)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


__all__ = ["Config", "Corpus", "Engine", "Interest", "Ranking", "Subscribers", "rank", "unit_rows"]
