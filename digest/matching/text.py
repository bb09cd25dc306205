"""Text normalisation for matching only: what a paper *says*, folded so that interests find it.

Displayed titles and abstracts are never changed; this module only produces match keys. It folds
case, accents, LaTeX markup and unicode look-alikes, and reduces simple English inflection
(`Transformers` -> `transformer`, `learning`/`learned` -> `learn`). Pure Python, no Django.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from digest.textmarks import strip_marks

# LaTeX accent commands: \'e \"{o} \^o \`a \~n \=a \.z and the letter-argument ones \c{c} \v{s} ...
_LATEX_ACCENT = re.compile(r"\\(?:['\"`^~=.]|[cvuHkrbdt](?=[{\s]))\s*\{?\s*(\\?[a-zA-Z])\s*\}?")
_LATEX_LETTERS = {
    "ss": "ss",
    "o": "o",
    "O": "o",
    "aa": "a",
    "AA": "a",
    "ae": "ae",
    "AE": "ae",
    "oe": "oe",
    "OE": "oe",
    "l": "l",
    "L": "l",
    "i": "i",
    "j": "j",
}
# Commands that only format their argument: drop the command, keep the argument.
_LATEX_FORMATTING = frozenset(
    [
        "emph",
        "textit",
        "textbf",
        "textrm",
        "textsf",
        "texttt",
        "textsc",
        "text",
        "mathrm",
        "mathbf",
        "mathit",
        "mathsf",
        "mathtt",
        "mathcal",
        "mathbb",
        "mathfrak",
        "boldsymbol",
        "bm",
        "rm",
        "it",
        "bf",
        "sf",
        "tt",
        "cal",
        "em",
        "sc",
        "left",
        "right",
        "big",
        "Big",
        "bigg",
        "Bigg",
        "mbox",
        "hbox",
        "operatorname",
        "url",
        "href",
        "cite",
        "ref",
        "label",
        "footnote",
    ]
)
_LATEX_COMMAND = re.compile(r"\\([a-zA-Z]+)\*?")


# Greek letters by their unicode names ("GREEK SMALL LETTER ALPHA" -> "alpha"), lunate/symbol
# variants included, so a unicode letter matches its LaTeX command.
def _greek_name(code: int) -> str:
    name = unicodedata.name(chr(code)).removesuffix(" SYMBOL").split()[-1].lower()
    return {"lamda": "lambda"}.get(name, name)


_GREEK = {chr(code): _greek_name(code) for code in [*range(0x3B1, 0x3CA), 0x3D1, 0x3D5, 0x3F5]}
_FOLD_TABLE = str.maketrans(
    {**{ch: f" {name} " for ch, name in _GREEK.items()}, "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "æ": "ae"}
)
_FOLDED = re.compile("[" + "".join(chr(code) for code in _FOLD_TABLE) + "]")
_TOKEN = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "very",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "et",
        "al",
        "using",
        "based",
    ]
)


def _latex_command(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _LATEX_LETTERS:
        return _LATEX_LETTERS[name]
    if name in _LATEX_FORMATTING:
        return " "
    # Greek letters and symbols keep their name as a word: $\alpha$ matches "alpha" and the unicode letter.
    return f" {name} "


def fold(text: str) -> str:
    """Lower-case ASCII-ish text with LaTeX markup, accents and unicode look-alikes folded away."""
    if "\\" in text:
        text = _LATEX_ACCENT.sub(lambda m: m.group(1).lstrip("\\"), text)
        text = _LATEX_COMMAND.sub(_latex_command, text)
    if text.isascii():
        return text.lower()
    text = text.lower()
    if _FOLDED.search(text):
        # str.translate with a dict looks up every character: only worth it when one would change.
        text = text.translate(_FOLD_TABLE)
    # NFKD splits accents off their letters and maps ligatures, superscripts and full-width forms.
    return strip_marks(unicodedata.normalize("NFKD", text)).lower()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light English inflection stemmer: plurals, -ing and -ed, a final -e, doubled consonants.

    Deliberately gentle (no derivational suffixes) so that terms stay recognisable in explanations.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if len(base) >= 3 and any(vowel in base for vowel in "aeiouy"):
                word = base
                if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiousz":
                    word = word[:-1]
            break
    if word.endswith("e") and len(word) > 4:
        # "compute", "computed" and "computing" all meet at "comput".
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """Every folded token in order, stop words included (phrases may span them)."""
    return _TOKEN.findall(fold(text))


def stems(text: str) -> list[str]:
    return [stem(word) for word in words(text)]


@lru_cache(maxsize=20_000)
def text_stems(text: str) -> tuple[str, ...]:
    """`stems` of a paper's title or abstract, remembered: the same recent papers are indexed again
    for every topic page, similar-papers list and matching chunk a process serves."""
    return tuple(stems(text))


@dataclass(frozen=True)
class Term:
    """One thing to look for: a single stem or a phrase of stems (matched as consecutive words)."""

    key: str  # stems joined by a space; a phrase has more than one
    display: str  # as the person wrote it, for explanations

    @property
    def is_phrase(self) -> bool:
        return " " in self.key


_QUOTED_OR_WORD = re.compile(r'"([^"]+)"|“([^”]+)”|(\S+)')


def parse_terms(text: str) -> list[Term]:
    """Keyword lines as written by curators and subscribers: `"quoted phrases"` match as phrases,
    other words each on their own; a hyphenated word (`self-supervised`) is a phrase too."""
    if not text:
        return []
    terms: dict[str, Term] = {}
    for line in text.splitlines():
        for quoted, curly, bare in _QUOTED_OR_WORD.findall(line):
            raw = quoted or curly or bare
            if bare and bare.isalnum() and bare.isascii():
                # The common case, a plain word: skip the general folding.
                word = bare.lower()
                if word not in STOPWORDS:
                    terms.setdefault(stem(word), Term(key=stem(word), display=bare))
                continue
            tokens = stems(raw)
            # A bare token that folds to several words ("self-supervised", "GPT-4") is a phrase too.
            if not tokens or (len(tokens) == 1 and tokens[0] in STOPWORDS):
                continue
            key = " ".join(tokens)
            terms.setdefault(key, Term(key=key, display=raw.strip(' "“”')))
    return list(terms.values())


def parse_words(text: str) -> list[Term]:
    """Free text (a topic's name or description): content words, each on its own."""
    terms: dict[str, Term] = {}
    for word in words(text):
        if word in STOPWORDS or len(word) < 2:
            continue
        terms.setdefault(stem(word), Term(key=stem(word), display=word))
    return list(terms.values())


# Derivational endings, longest first: `root` lets "Superconductivity" reach "superconducting" and
# "cosmology" reach "cosmic" at a reduced weight, while exact stems still count most.
_DERIVATIONAL = sorted(
    [
        "ivity",
        "ivities",
        "ity",
        "ities",
        "ation",
        "ations",
        "ational",
        "ization",
        "izations",
        "isation",
        "ical",
        "ically",
        "ic",
        "ics",
        "ive",
        "ivism",
        "ous",
        "ously",
        "ness",
        "ment",
        "ments",
        "al",
        "ally",
        "ly",
        "er",
        "ers",
        "or",
        "ors",
        "ism",
        "isms",
        "ist",
        "ists",
        "ology",
        "ologies",
        "ologic",
        "ological",
        "ologist",
        "ability",
        "ibility",
        "able",
        "ible",
        "ant",
        "ance",
        "ence",
        "ent",
        "ency",
        "ial",
        "ian",
        "ory",
        "ize",
        "ise",
    ],
    key=len,
    reverse=True,
)


@lru_cache(maxsize=200_000)
def root(word: str) -> str:
    """The stem with one derivational ending removed, when at least five letters remain."""
    for suffix in _DERIVATIONAL:
        if word.endswith(suffix) and len(word) - len(suffix) >= 5:
            return word[: -len(suffix)]
    return word
