"""Features: TF-IDF over the project's tokeniser, optionally with character n-grams."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from framing.text import Tokenizer, normalize

# float64 keeps per-term contributions summing exactly to the decision value in explanations.
_DTYPE = np.float64

__all__ = ["build_vectorizer", "char_preprocess", "drop_stop_words_"]


def char_preprocess(text: str) -> str:
    """Normalise and lower-case ``text`` for character n-grams (importable, so models pickle)."""
    return normalize(text).lower()


def build_vectorizer(
    *,
    ngram_range: tuple[int, int] = (1, 2),
    min_df: int | float = 1,
    max_df: float = 1.0,
    max_features: int | None = None,
    sublinear_tf: bool = True,
    stem: bool = False,
    stop_words: bool = True,
    char_ngram_range: tuple[int, int] | None = None,
    char_max_features: int | None = None,
) -> TfidfVectorizer | FeatureUnion:
    """Build an unfitted TF-IDF vectoriser on :class:`framing.text.Tokenizer`.

    Parameters
    ----------
    ngram_range : (int, int), default=(1, 2)
        Word n-gram sizes.
    min_df : int or float, default=1
        Ignore n-grams in fewer documents than this (a count, or a share when a float).
    max_df : float, default=1.0
        Ignore n-grams in more than this share of documents.
    max_features : int, optional
        Keep only the most frequent word n-grams.
    sublinear_tf : bool, default=True
        Use ``1 + log(tf)``, so that a word repeated ten times is not ten times the evidence.
    stem : bool, default=False
        Snowball-stem words.
    stop_words : bool, default=True
        Remove the project's stop words (negations and stance words are kept).
    char_ngram_range : (int, int), optional
        Add character n-grams within word boundaries of these sizes (useful for short, noisy
        texts such as tweets and headlines). ``None`` for words only.
    char_max_features : int, optional
        Keep only the most frequent character n-grams.

    Returns
    -------
    TfidfVectorizer or FeatureUnion
        A word vectoriser, or a union of the word and character vectorisers, named ``"word"``
        and ``"char"``.
    """
    word = TfidfVectorizer(
        tokenizer=Tokenizer(stem=stem, stop_words=stop_words),
        lowercase=False,
        token_pattern=None,
        ngram_range=tuple(ngram_range),
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
        sublinear_tf=sublinear_tf,
        dtype=_DTYPE,
    )
    if char_ngram_range is None:
        return word
    char = TfidfVectorizer(
        analyzer="char_wb",
        preprocessor=char_preprocess,
        lowercase=False,
        ngram_range=tuple(char_ngram_range),
        min_df=min_df,
        max_df=max_df,
        max_features=char_max_features,
        sublinear_tf=sublinear_tf,
        dtype=_DTYPE,
    )
    return FeatureUnion([("word", word), ("char", char)])


def drop_stop_words_(vectorizer: TfidfVectorizer | FeatureUnion) -> None:
    """Delete fitted attributes that would make model files differ between identical fits.

    ``stop_words_`` only serves introspection, can be large, and pickles in an order that
    depends on string hashing; ``_stop_words_id`` is a memory address. Without them the same
    corpus and seed write the same bytes in any process.
    """
    parts = [v for _, v in vectorizer.transformer_list] if isinstance(vectorizer, FeatureUnion) else [vectorizer]
    for part in parts:
        # _stop_words_id holds id(stop_words), a memory address that differs between processes.
        for name in ("stop_words_", "_stop_words_id"):
            if hasattr(part, name):
                delattr(part, name)
