"""Text processing: unicode normalisation, sentence splitting and word tokenisation.

Everything here works offline. No nltk data is loaded or downloaded: sentences are split with an
untrained :class:`nltk.tokenize.punkt.PunktSentenceTokenizer` given a list of abbreviations of our
own, words with an :class:`nltk.tokenize.RegexpTokenizer`, and stems with the rule-based
:class:`nltk.stem.SnowballStemmer`, none of which read ``NLTK_DATA``.
"""

from __future__ import annotations

import re
import unicodedata

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

__all__ = [
    "STOP_WORDS",
    "Tokenizer",
    "normalize",
    "split_sentences",
    "tokenize",
    "word_tokenize",
]

# Characters that NFKC leaves alone but that break tokens or hide them: typographic quotes,
# dashes, invisible spaces. Mapped before NFKC so that "don’t" and "don't" are one token.
_TRANSLATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": " - ",
        "\u2014": " - ",
        "\u2015": " - ",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\u00ad": None,
        "\u2028": "\n",
        "\u2029": "\n\n",
        "\r": None,
        "\x00": None,
    }
)
_SPACES = re.compile(r"[^\S\n]+")
_SPECIAL = re.compile("[" + re.escape("".join(chr(c) for c in _TRANSLATION)) + "]")


def _replace_special(match: re.Match[str]) -> str:
    return _TRANSLATION[ord(match.group())] or ""


def _map_characters(text: str) -> str:
    """The character table, then NFKC (and the table again, for what NFKC produces).

    Only the characters present are replaced (a regex scan in C), rather than ``str.translate``
    with a dict, which costs a Python lookup per character; NFKC runs only when it would
    change something.
    """
    text = _SPECIAL.sub(_replace_special, text)
    if not unicodedata.is_normalized("NFKC", text):
        text = _SPECIAL.sub(_replace_special, unicodedata.normalize("NFKC", text))
    return text


def normalize(text: str) -> str:
    """Return ``text`` with typographic characters mapped to plain ones, NFKC-normalised.

    Curly quotes become straight quotes, en and em dashes become a spaced hyphen, non-breaking
    and other fixed-width spaces become a plain space, zero-width characters and soft hyphens
    are removed, and runs of spaces collapse to one (line breaks are kept, so paragraphs and
    sentences can still be found).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The normalised text.

    Examples
    --------
    >>> normalize("“Don’t sell”\u00a0\u2014 she said\u200b.")
    '"Don\\'t sell" - she said.'
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize expects a str, got {type(text).__name__}")
    return _SPACES.sub(" ", _map_characters(text)).strip()


# Abbreviations that end in a period but rarely end a sentence in news and op-ed writing.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sen",
        "rep",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "adm",
        "sgt",
        "gov",
        "pres",
        "st",
        "jr",
        "sr",
        "vol",
        "fig",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "approx",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "u.s.a",
        "e.u",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "rev",
        "hon",
        "ft",
        "cmdr",
        "brig",
        "cpl",
        "pvt",
        "amb",
    ]
)


def _sentence_splitter() -> PunktSentenceTokenizer:
    params = PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


_PUNKT = _sentence_splitter()
_PARAGRAPHS = re.compile(r"\n\s*\n")


def split_sentences(text: str) -> list[str]:
    """Split a text into sentences.

    Paragraph breaks (blank lines) always end a sentence; within a paragraph nltk's Punkt
    algorithm finds sentence ends, knowing common abbreviations such as "Mr." and "U.S.".

    Parameters
    ----------
    text : str
        Any text; it is normalised first.

    Returns
    -------
    list of str
        The sentences, in order, without surrounding white space. An empty or blank text gives
        an empty list.

    Examples
    --------
    >>> split_sentences("Mr. Hale voted no. The U.S. deal passed anyway!")
    ['Mr. Hale voted no.', 'The U.S. deal passed anyway!']
    """
    sentences: list[str] = []
    for paragraph in _PARAGRAPHS.split(normalize(text)):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            sentences.extend(s for s in _PUNKT.tokenize(paragraph) if s.strip())
    return sentences


class _TrustedRegexpTokenizer(RegexpTokenizer):
    """nltk's RegexpTokenizer, compiling its (constant, audited) pattern with the stdlib ``re``.

    nltk >= 3.10 compiles every pattern with the ``regex`` engine under a wall-clock timeout,
    a defence against hostile *caller-supplied* patterns. Ours is a fixed constant with no
    nested quantifiers, so the guard only costs time: measured at four times the cost of
    ``re.findall`` on op-ed text, and a third of all scoring time (benchmarks/speed.py).
    """

    def _check_regexp(self) -> None:
        if self._regexp is None:  # type: ignore[has-type]
            self._regexp = re.compile(self._pattern, self._flags)


# One alternative per kind of token, tried in order: acronyms with periods (U.S.), numbers with
# separators (1,000.5 or 20%), words with inner hyphens or apostrophes (F-35, don't, Saudi's),
# and any other single non-space character, so that punctuation is split off everywhere.
_WORD_TOKENIZER = _TrustedRegexpTokenizer(
    r"(?:[^\W\d_]\.){2,}"
    r"|\d+(?:[.,:]\d+)*%?"
    r"|\w+(?:[-'’]\w+)*"
    r"|[^\w\s]"
)
# The feature tokeniser: the same words, but of punctuation only "?" and "!" (the rest is dropped
# anyway, and not materialising it saves a third of the tokens on op-ed text).
_FEATURE_TOKENIZER = _TrustedRegexpTokenizer(
    r"(?:[^\W\d_]\.){2,}"
    r"|\d+(?:[.,:]\d+)*%?"
    r"|\w+(?:[-'’]\w+)*"
    r"|[?!]"
)
_FEATURE_TOKENIZER._check_regexp()
_FINDALL = _FEATURE_TOKENIZER._regexp.findall  # type: ignore[has-type]


def word_tokenize(text: str) -> list[str]:
    """Split ``text`` into word and punctuation tokens, keeping case.

    Punctuation is separated wherever it occurs, not only at the end of a line; hyphenated
    words and weapon designations ("F-35", "S-400"), acronyms ("U.S.") and numbers ("1,000")
    stay whole.

    Examples
    --------
    >>> word_tokenize('Stop the sale,now!The U.S. sold 1,000 "F-35s".')
    ['Stop', 'the', 'sale', ',', 'now', '!', 'The', 'U.S.', 'sold', '1,000', '"', 'F-35s', '"', '.']
    """
    return _WORD_TOKENIZER.tokenize(text)


# Function words that carry no stance. Deliberately absent: negations (not, no, nor, never,
# neither, without), stance and modal words (against, should, must, ought, would, could, might,
# cannot), and contrast markers (but, however, although, yet) -- these are how writers take a
# side or turn an argument.
STOP_WORDS: frozenset[str] = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "as",
        "into",
        "onto",
        "upon",
        "about",
        "above",
        "below",
        "over",
        "under",
        "between",
        "among",
        "through",
        "during",
        "before",
        "after",
        "since",
        "until",
        "within",
        "along",
        "across",
        "around",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "it",
        "its",
        "it's",
        "itself",
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "we",
        "us",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "who",
        "whom",
        "whose",
        "which",
        "what",
        "when",
        "where",
        "why",
        "how",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "so",
        "than",
        "then",
        "too",
        "very",
        "just",
        "also",
        "such",
        "same",
        "other",
        "another",
        "each",
        "both",
        "either",
        "any",
        "some",
        "all",
        "most",
        "more",
        "many",
        "much",
        "few",
        "own",
        "only",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "o",
        "re",
        "ve",
        "y",
        "i'm",
        "i've",
        "i'd",
        "i'll",
        "you're",
        "you've",
        "you'd",
        "you'll",
        "he's",
        "she's",
        "we're",
        "we've",
        "we'd",
        "we'll",
        "they're",
        "they've",
        "they'd",
        "they'll",
        "that's",
        "there's",
        "here's",
        "what's",
        "who's",
        "let's",
    ]
)

# Tokens that are punctuation but do carry tone: questions and exclamations are common in
# ironic and polemical writing.
_KEPT_PUNCTUATION = frozenset("?!")
_NEGATED_CONTRACTION_STEMS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "am"}


class Tokenizer:
    """The tokeniser used for features: normalise, lower-case, split, filter, optionally stem.

    Instances are callables ``str -> list[str]`` and pickle by reference to this class, so a
    fitted vectoriser that holds one loads in any process. Contractions with "n't" become the
    word and "not" ("don't" -> "do", "not"), possessive "'s" is dropped, punctuation other than
    "?" and "!" is dropped, and stop words (see :data:`STOP_WORDS`) are removed when asked.

    Parameters
    ----------
    stem : bool, default=False
        Reduce words to their Snowball (Porter 2) stems. Stems are cached per word type.
    stop_words : bool, default=True
        Remove the project's stop words, which keep negations and stance words.
    language : str, default="english"
        Language of the Snowball stemmer.

    Examples
    --------
    >>> Tokenizer()("We shouldn't sell F-35s to them; it's wrong!")
    ['should', 'not', 'sell', 'f-35s', 'wrong', '!']
    >>> Tokenizer(stem=True)("Selling arms destabilises regions.")
    ['sell', 'arm', 'destabilis', 'region']
    """

    def __init__(self, stem: bool = False, stop_words: bool = True, language: str = "english") -> None:
        self.stem = stem
        self.stop_words = stop_words
        self.language = language
        self._setup()

    def _setup(self) -> None:
        self._stemmer = SnowballStemmer(self.language) if self.stem else None
        self._stop = STOP_WORDS if self.stop_words else frozenset()
        # Raw token -> output tokens. Vocabulary is Zipfian, so after a few documents nearly
        # every token is a dictionary hit: contraction handling, stop words and stemming run
        # once per word type, not once per occurrence.
        self._memo: dict[str, tuple[str, ...]] = {}

    # The stemmer and its cache are rebuilt on load: the pickle stays small and holds only the
    # three parameters, which the model-file loader can check.
    def __getstate__(self) -> dict:
        return {"stem": self.stem, "stop_words": self.stop_words, "language": self.language}

    def __setstate__(self, state: dict) -> None:
        self.stem = bool(state.get("stem", False))
        self.stop_words = bool(state.get("stop_words", True))
        self.language = str(state.get("language", "english"))
        self._setup()

    def __repr__(self) -> str:
        return f"Tokenizer(stem={self.stem!r}, stop_words={self.stop_words!r}, language={self.language!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokenizer) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash(tuple(self.__getstate__().items()))

    def __call__(self, text: str) -> list[str]:
        memo = self._memo
        out: list[str] = []
        for tok in _FINDALL(_prepare(text)):
            mapped = memo.get(tok)
            if mapped is None:
                mapped = self._map(tok)
                # Bounded so that a stream of junk tokens cannot grow the memo without limit.
                if len(memo) < 500_000:
                    memo[tok] = mapped
            if mapped:
                out += mapped
        return out

    def _map(self, tok: str) -> tuple[str, ...]:
        """What one raw (lower-cased) token becomes: zero, one or two feature tokens."""
        stop = self._stop
        if not tok[0].isalnum():
            return (tok,) if tok in _KEPT_PUNCTUATION else ()
        if "'" in tok:
            if tok.endswith("n't"):
                base = tok[:-3]
                base = _NEGATED_CONTRACTION_STEMS.get(base, base)
                return (self._stem(base), "not") if base and base not in stop else ("not",)
            if tok.endswith("'s"):
                tok = tok[:-2]
        if not tok or tok in stop:
            return ()
        return (self._stem(tok),)

    def _stem(self, word: str) -> str:
        return word if self._stemmer is None else self._stemmer.stem(word)


def _prepare(text: str) -> str:
    """:func:`normalize` without the space collapsing (tokens ignore spaces), lower-cased.

    ASCII text (most of it) skips NFKC and the character table, which change nothing in ASCII
    but the backtick.
    """
    if text.isascii():
        return (text.replace("`", "'") if "`" in text else text).lower()
    return _map_characters(text).lower()


def tokenize(text: str, *, stem: bool = False, stop_words: bool = True) -> list[str]:
    """Tokenise ``text`` as the features see it (see :class:`Tokenizer`).

    Examples
    --------
    >>> tokenize("No, we must NOT arm them.")
    ['no', 'must', 'not', 'arm']
    """
    return Tokenizer(stem=stem, stop_words=stop_words)(text)
