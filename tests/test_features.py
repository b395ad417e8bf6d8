"""framing.features: the TF-IDF vectoriser on framing's tokeniser."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
from conftest import cli_env
from scipy import sparse
from sklearn.pipeline import FeatureUnion

from framing.features import build_vectorizer, char_preprocess
from framing.text import Tokenizer

DOCS = [
    "We must not sell the jets.",
    "We must not sell the tanks.",
    "Approve the jets sale now.",
    "The tanks sale is approved.",
    "Drones are a different matter.",
]


def test_default_vectorizer_uses_framing_tokenizer_and_bigrams():
    vec = build_vectorizer()
    assert isinstance(vec.tokenizer, Tokenizer)
    assert type(vec.tokenizer).__module__ == "framing.text"
    names = set(vec.fit(DOCS).get_feature_names_out())
    assert {"must not", "not sell", "sell jets"} <= names
    assert {"must", "not", "sell", "jets"} <= names
    assert "the" not in names  # stop word
    assert "." not in names


def test_ngram_range_is_honoured():
    names = build_vectorizer(ngram_range=(1, 1)).fit(DOCS).get_feature_names_out()
    assert all(" " not in n for n in names)
    names = build_vectorizer(ngram_range=(2, 2)).fit(DOCS).get_feature_names_out()
    assert all(len(n.split()) == 2 for n in names)
    names = build_vectorizer(ngram_range=(1, 3)).fit(DOCS).get_feature_names_out()
    assert "must not sell" in names


def test_min_df_is_honoured():
    vec = build_vectorizer(min_df=2, ngram_range=(1, 1)).fit(DOCS)
    names = set(vec.get_feature_names_out())
    assert names == {"must", "not", "sell", "jets", "tanks", "sale"}


def test_max_features_is_honoured():
    vec = build_vectorizer(max_features=3).fit(DOCS)
    assert len(vec.vocabulary_) == 3


def test_stem_and_stop_words_are_passed_to_the_tokenizer():
    vec = build_vectorizer(stem=True, stop_words=False, ngram_range=(1, 1)).fit(["Selling the jets"])
    assert set(vec.get_feature_names_out()) == {"sell", "the", "jet"}


@pytest.mark.parametrize(("sublinear", "expected_ratio"), [(True, 1 + np.log(4)), (False, 4.0)])
def test_sublinear_tf_is_honoured(sublinear, expected_ratio):
    # Both terms are in both documents, so they have the same idf and the ratio is tf's.
    vec = build_vectorizer(sublinear_tf=sublinear, ngram_range=(1, 1))
    X = vec.fit_transform(["jets jets jets jets sale", "jets sale"]).toarray()
    jets, sale = vec.vocabulary_["jets"], vec.vocabulary_["sale"]
    assert X[0, jets] / X[0, sale] == pytest.approx(expected_ratio)


def test_rows_are_l2_normalised_float64():
    X = build_vectorizer().fit_transform(DOCS)
    assert X.dtype == np.float64
    assert np.allclose(sparse.linalg.norm(X, axis=1), 1.0)


def test_char_ngrams_option_adds_a_char_vectorizer():
    vec = build_vectorizer(char_ngram_range=(2, 3), char_max_features=50)
    assert isinstance(vec, FeatureUnion)
    assert [name for name, _ in vec.transformer_list] == ["word", "char"]
    X = vec.fit_transform(DOCS)
    names = vec.get_feature_names_out()
    word_names = [n for n in names if n.startswith("word__")]
    char_names = [n for n in names if n.startswith("char__")]
    assert word_names and len(char_names) == 50
    assert X.shape == (len(DOCS), len(names))
    # A misspelt, unseen word still shares character n-grams with "jets".
    word_only = build_vectorizer().fit(DOCS)
    assert word_only.transform(["jetz"]).nnz == 0
    assert vec.transform(["jetz"]).nnz > 0


def test_char_preprocess_normalises_and_lowercases():
    assert char_preprocess("\uff33TOP\u00a0the sa\u200ble") == "stop the sale"


@pytest.mark.parametrize("char_ngram_range", [None, (2, 4)])
def test_fitted_vectorizer_pickles_and_loads_in_another_process(tmp_path, char_ngram_range):
    vec = build_vectorizer(stem=True, char_ngram_range=char_ngram_range).fit(DOCS)
    new_docs = ["Don't sell the jets!", "Approve the tank sales.", ""]
    expected = vec.transform(new_docs)
    data = pickle.dumps(vec)
    assert b"__main__" not in data
    assert b"<lambda>" not in data
    (tmp_path / "vec.pkl").write_bytes(data)
    script = (
        "import pickle, sys\n"
        "from scipy import sparse\n"
        "vec = pickle.load(open(sys.argv[1], 'rb'))\n"
        f"sparse.save_npz(sys.argv[2], vec.transform({new_docs!r}).tocsr())\n"
    )
    # A fresh interpreter that has not imported framing yet: unpickling must import it by name.
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "vec.pkl"), str(tmp_path / "X.npz")],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    got = sparse.load_npz(tmp_path / "X.npz")
    assert got.shape == expected.shape
    assert np.array_equal(got.toarray(), expected.toarray())
