"""framing.models: StanceClassifier and FrameClassifier as scikit-learn estimators on raw text."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from framing import FrameClassifier, StanceClassifier, frames_to_indicator
from framing.text import normalize

ESTIMATORS = [StanceClassifier, FrameClassifier]


def _fast(cls, **params):
    """An estimator that fits quickly (no threshold tuning for frames)."""
    if cls is FrameClassifier:
        params.setdefault("threshold", 0.5)
    return cls(random_state=0, **params)


def _xy(cls, texts, arms_labels, frame_lists):
    return (texts, arms_labels) if cls is StanceClassifier else (texts, frame_lists)


def normalize_all(texts):
    """A module-level (picklable) text transformer for pipelines."""
    return [normalize(t).lower() for t in texts]


# --------------------------------------------------------------------------- scikit-learn API


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_init_stores_parameters_without_validating(cls):
    est = cls(C=-1.0, ngram_range=(3, 1), min_df="nonsense")  # validated in fit, not here
    assert est.get_params()["C"] == -1.0
    assert est.get_params()["min_df"] == "nonsense"
    assert is_classifier(est)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_get_params_set_params_and_clone(cls, texts, arms_labels, frame_lists):
    est = cls(C=3.0, ngram_range=(1, 1), stem=True, random_state=7)
    params = est.get_params()
    assert params["C"] == 3.0 and params["ngram_range"] == (1, 1) and params["stem"] is True
    assert est.set_params(C=0.5, min_df=2) is est
    assert est.get_params()["C"] == 0.5 and est.get_params()["min_df"] == 2
    with pytest.raises(ValueError, match="bogus"):
        est.set_params(bogus=1)

    if cls is FrameClassifier:
        est.set_params(threshold=0.5)
    est.fit(*_xy(cls, texts, arms_labels, frame_lists))
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "vectorizer_")
    assert not hasattr(twin, "classes_")


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_not_fitted_error_names_the_estimator(cls):
    est = cls()
    for method in ("predict", "predict_proba", "decision_function", "featurize"):
        with pytest.raises(NotFittedError, match=cls.__name__):
            getattr(est, method)(["Stop the sale."])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fit_returns_self_and_sets_fitted_attributes(cls, texts, arms_labels, frame_lists):
    est = _fast(cls)
    assert est.fit(*_xy(cls, texts, arms_labels, frame_lists)) is est
    assert hasattr(est, "vectorizer_") and hasattr(est, "classes_")
    assert est.n_features_in_ == len(est.vectorizer_.get_feature_names_out())
    if cls is StanceClassifier:
        assert est.classes_.tolist() == ["against", "favor", "neutral"]
    else:
        assert sorted(est.classes_.tolist()) == sorted({f for fs in frame_lists for f in fs})


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_pickle_round_trip_gives_identical_predict_proba(cls, texts, arms_labels, frame_lists):
    est = _fast(cls).fit(*_xy(cls, texts, arms_labels, frame_lists))
    new = ["We must not sell the jets.", "Approve the deal; it protects jobs.", "Bread prices rose.", ""]
    back = pickle.loads(pickle.dumps(est))
    assert np.array_equal(back.predict_proba(new), est.predict_proba(new))
    assert np.array_equal(back.predict(new), est.predict(new))


def test_stance_deterministic_given_random_state(stance_model, texts, arms_labels):
    again = StanceClassifier(random_state=0).fit(texts, arms_labels)
    new = ["We must not sell the jets.", "Deterrence keeps the peace.", ""]
    assert np.array_equal(again.predict_proba(new), stance_model.predict_proba(new))


def test_frames_deterministic_given_random_state(frame_model, texts, frame_lists, primaries):
    # Threshold tuning shuffles folds: the seed must fix them.
    again = FrameClassifier(random_state=0).fit(texts, frame_lists, primary=primaries)
    new = ["We must not sell the jets.", "Deterrence keeps the peace.", ""]
    assert np.array_equal(again.predict_proba(new), frame_model.predict_proba(new))
    assert np.array_equal(again.thresholds_, frame_model.thresholds_)
    assert np.array_equal(again.predict_primary(new), frame_model.predict_primary(new))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_pipeline_with_a_text_transformer(cls, texts, arms_labels, frame_lists):
    X, y = _xy(cls, texts, arms_labels, frame_lists)
    pipe = Pipeline([("norm", FunctionTransformer(normalize_all)), ("clf", _fast(cls))]).fit(X, y)
    shouty = [t.upper().replace("'", "\u2019") for t in X[:5]]
    direct = pipe.named_steps["clf"].predict_proba(normalize_all(shouty))
    assert np.array_equal(pipe.predict_proba(shouty), direct)
    back = pickle.loads(pickle.dumps(pipe))
    assert np.array_equal(back.predict_proba(shouty), direct)


def test_stance_cross_val_score_and_grid_search_on_strings(texts, arms_labels):
    scores = cross_val_score(StanceClassifier(random_state=0), texts, arms_labels, cv=3)
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1))

    pipe = Pipeline([("norm", FunctionTransformer(normalize_all)), ("clf", StanceClassifier(random_state=0))])
    search = GridSearchCV(pipe, {"clf__C": [0.1, 10.0], "clf__ngram_range": [(1, 1), (1, 2)]}, cv=3).fit(
        texts, arms_labels
    )
    assert search.best_params_["clf__C"] in (0.1, 10.0)
    assert len(search.cv_results_["params"]) == 4
    assert search.predict(["We must not sell these bombs."]).shape == (1,)


def test_frame_cross_val_score_and_grid_search_with_indicator_y(texts, frame_lists):
    Y, names = frames_to_indicator(frame_lists)
    est = FrameClassifier(labels=names, threshold=0.5, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(est, texts, Y, cv=cv)
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1))

    search = GridSearchCV(est, {"threshold": [0.3, 0.5]}, cv=cv).fit(texts, Y)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_params_["threshold"] in (0.3, 0.5)
    assert search.best_estimator_.classes_.tolist() == names
    assert search.predict(["Stop the bomb sale."]).shape == (1, len(names))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_empty_corpus_is_refused(cls):
    with pytest.raises(ValueError, match="empty corpus"):
        cls().fit([], [])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_mismatched_lengths_are_refused(cls):
    y = ["favor", "against"] if cls is StanceClassifier else [["economic"], ["morality"]]
    with pytest.raises(ValueError, match=r"different lengths: 3 texts but 2"):
        cls().fit(["a sale", "b sale", "c sale"], y)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("bad", [None, 3, b"bytes"])
def test_non_string_items_are_refused(cls, bad):
    y = ["favor", "against"] if cls is StanceClassifier else [["economic"], ["morality"]]
    with pytest.raises(TypeError, match=r"X\[1\] must be a str"):
        cls().fit(["a sale", bad], y)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_bare_string_as_x_is_refused(cls, texts, arms_labels, frame_lists):
    with pytest.raises(TypeError, match="Iterable over raw text documents expected"):
        cls().fit("Stop the sale.", ["against"])
    est = _fast(cls).fit(*_xy(cls, texts, arms_labels, frame_lists))
    for method in ("predict", "predict_proba"):
        with pytest.raises(TypeError, match="Iterable over raw text documents expected"):
            getattr(est, method)("Stop the sale.")


def test_stance_single_class_is_refused():
    with pytest.raises(ValueError, match=r"at least two distinct labels.*'favor'"):
        StanceClassifier().fit(["sell", "sell jets", "sell tanks"], ["favor"] * 3)


def test_stance_missing_label_and_bare_string_y_are_refused():
    with pytest.raises(ValueError, match=r"y\[1\] is missing"):
        StanceClassifier().fit(["a sale", "b sale"], ["favor", None])
    with pytest.raises(TypeError, match="single string"):
        StanceClassifier().fit(["a sale", "b sale"], "favor")


def test_frames_without_any_frame_are_refused():
    with pytest.raises(ValueError, match="no frames"):
        FrameClassifier().fit(["a sale", "b sale"], [[], []])


def test_frames_bare_string_per_text_is_refused():
    with pytest.raises(TypeError, match="list of frame labels"):
        FrameClassifier().fit(["a sale", "b sale"], ["economic", "morality"])


def test_no_usable_words_error_is_clear():
    with pytest.raises(ValueError, match="no usable words"):
        StanceClassifier().fit(["the", "of the"], ["favor", "against"])


def test_bad_parameters_are_reported_at_fit():
    with pytest.raises(ValueError, match="threshold"):
        FrameClassifier(threshold=1.5).fit(["a sale", "b jets"], [["x"], ["y"]])
    with pytest.raises(ValueError, match="threshold_cv"):
        FrameClassifier(threshold_cv=1).fit(["a sale", "b jets"], [["x"], ["y"]])
    with pytest.raises(ValueError, match="'C'"):
        StanceClassifier(C=-1.0).fit(["a sale", "b jets"], ["favor", "against"])


# --------------------------------------------------------------------------- StanceClassifier


def test_stance_probabilities_and_predictions(stance_model):
    new = ["We must not sell these bombs; they kill civilians.", "Approve the jet sale; it protects jobs."]
    proba = stance_model.predict_proba(new)
    assert proba.shape == (2, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert stance_model.predict(new).tolist() == ["against", "favor"]
    assert stance_model.classes_[proba.argmax(axis=1)].tolist() == stance_model.predict(new).tolist()


def test_stance_learns_any_label_set():
    texts = ["pro jets yes", "con jets no", "pro tanks yes", "con tanks no"]
    model = StanceClassifier(random_state=0).fit(texts, ["PRO", "CON", "PRO", "CON"])
    assert model.classes_.tolist() == ["CON", "PRO"]
    assert model.predict(["yes pro"]).tolist() == ["PRO"]


def test_accepts_numpy_arrays_and_tuples(texts, arms_labels):
    a = StanceClassifier(random_state=0).fit(np.array(texts), np.array(arms_labels))
    b = StanceClassifier(random_state=0).fit(tuple(texts), tuple(arms_labels))
    assert np.array_equal(a.predict_proba(texts[:3]), b.predict_proba(texts[:3]))


# --------------------------------------------------------------------------- FrameClassifier


def test_frame_probabilities_are_per_frame(frame_model, texts):
    proba = frame_model.predict_proba(texts)
    assert proba.shape == (len(texts), len(frame_model.classes_))
    assert np.all((proba > 0) & (proba < 1))
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent per frame, not a distribution


def test_thresholds_are_tuned_within_0_1(frame_model):
    t = frame_model.thresholds_
    assert t.shape == (len(frame_model.classes_),)
    assert np.all((t > 0) & (t < 1))
    assert not np.all(t == 0.5)


def test_tuning_lowers_the_threshold_of_a_frequent_frame_without_signal():
    # "common" is on 2 texts in 3, at random with respect to the words: the best F1 is had by
    # predicting it nearly everywhere, so its tuned threshold must be below 0.5.
    rng = np.random.default_rng(0)
    words = ["jets", "tanks", "drones", "ships", "shells", "rifles", "radars", "mines"]
    texts = [" ".join(rng.choice(words, 4)) + f" w{i}" for i in range(60)]
    y = [["common"] if rng.random() < 0.67 else ["rare"] for _ in texts]
    model = FrameClassifier(random_state=0).fit(texts, y)
    common = model.classes_.tolist().index("common")
    assert model.thresholds_[common] < 0.5
    fixed = FrameClassifier(threshold=0.3, random_state=0).fit(texts, y)
    assert np.all(fixed.thresholds_ == 0.3)


def test_predict_and_predict_labels_follow_thresholds(frame_model, texts):
    proba = frame_model.predict_proba(texts)
    indicator = frame_model.predict(texts)
    assert np.array_equal(indicator, (proba >= frame_model.thresholds_).astype(int))
    labels = frame_model.predict_labels(texts)
    assert len(labels) == len(texts)
    for row, names in zip(indicator, labels):
        assert sorted(names) == sorted(frame_model.classes_[row.astype(bool)].tolist())


def test_predict_primary_is_a_known_frame(frame_model, texts, primaries):
    primary = frame_model.predict_primary(texts)
    assert primary.shape == (len(texts),)
    assert set(primary.tolist()) <= set(frame_model.classes_.tolist())
    assert frame_model.primary_estimator_ is not None
    # Fitted on its own data, the primary model gets most of it right.
    assert np.mean(primary == np.array(primaries)) > 0.8


def test_primary_model_is_used_when_primary_given():
    # Every text has "common"; the primary frame is "money" or "war". Without primary labels the
    # most probable frame ("common") would be the primary; with them, the dedicated model decides.
    texts = ["jobs money budget", "war bombs troops", "money trade jobs", "troops war shells"] * 3
    frames = [["common", "money"], ["common", "war"], ["common", "money"], ["common", "war"]] * 3
    primary = ["money", "war", "money", "war"] * 3
    with_primary = FrameClassifier(threshold=0.5, random_state=0).fit(texts, frames, primary=primary)
    without = FrameClassifier(threshold=0.5, random_state=0).fit(texts, frames)
    new = ["budget money jobs", "bombs troops war"]
    assert with_primary.predict_primary(new).tolist() == ["money", "war"]
    assert without.primary_estimator_ is None
    assert without.predict_primary(new).tolist() == ["common", "common"]


def test_primary_errors():
    with pytest.raises(ValueError, match="primary has 1 labels for 2 texts"):
        FrameClassifier(threshold=0.5).fit(["a sale", "b jets"], [["x"], ["y"]], primary=["x"])
    with pytest.raises(ValueError, match=r"\['z'\] are not among the frames"):
        FrameClassifier(threshold=0.5).fit(["a sale", "b jets"], [["x"], ["y"]], primary=["x", "z"])


def test_frames_as_lists_or_indicator_give_the_same_model(texts, frame_lists):
    Y, names = frames_to_indicator(frame_lists)
    a = FrameClassifier(threshold=0.5, random_state=0).fit(texts, frame_lists)
    b = FrameClassifier(threshold=0.5, labels=names, random_state=0).fit(texts, Y)
    assert a.classes_.tolist() == b.classes_.tolist() == names
    assert np.array_equal(a.predict_proba(texts), b.predict_proba(texts))


def test_frames_to_indicator():
    Y, names = frames_to_indicator([["economic"], ["economic", "morality"], []])
    assert names == ["economic", "morality"]
    assert Y.tolist() == [[1, 0], [1, 1], [0, 0]]
    Y, names = frames_to_indicator([["b"]], classes=["b", "a"])
    assert Y.tolist() == [[1, 0]] and names == ["b", "a"]
    with pytest.raises(ValueError, match="'c', which is not among"):
        frames_to_indicator([["c"]], classes=["a", "b"])


def test_indicator_y_must_match_labels_and_be_binary():
    with pytest.raises(ValueError, match="labels names 3 frames but y has 2 columns"):
        FrameClassifier(labels=["a", "b", "c"]).fit(["x y", "y z"], np.array([[1, 0], [0, 1]]))
    with pytest.raises(ValueError, match="only 0 and 1"):
        FrameClassifier(labels=["a", "b"]).fit(["x y", "y z"], np.array([[2, 0], [0, 1]]))


def test_frame_score_is_micro_f1(frame_model, texts, frame_lists):
    from sklearn.metrics import f1_score

    Y, _ = frames_to_indicator(frame_lists, list(frame_model.classes_))
    expected = f1_score(Y, frame_model.predict(texts), average="micro")
    assert frame_model.score(texts, frame_lists) == pytest.approx(expected)
    assert frame_model.score(texts, Y) == pytest.approx(expected)
