"""framing.analyzer and framing.result: train a corpus, score texts, read results."""

from __future__ import annotations

import json

import numpy as np
import pytest

import framing
from framing import Corpus, FrameResult, Result, StanceResult
from framing.topics import BUNDLED_TOPICS

NEW_TEXTS = [
    "We must not sell these bombs; they kill civilians in a brutal war.",
    "Approve the fighter jet sale: deterrence keeps the peace and protects jobs.",
    "The museum reopened after repairs and ticket prices stay the same.",
    "The missile deal will fuel an arms race and push the region toward escalation.",
    "Officials met to discuss trade and the weapons deal.",
    "",
    "Zyx qwv plonk.",  # no known word
]


def _assert_same_result(a: Result, b: Result) -> None:
    # Scores only: frame_profile is an optional extra that score() and score_many() default differently.
    da, db = a.to_dict(), b.to_dict()
    da.pop("frame_profile", None)
    db.pop("frame_profile", None)
    assert da.keys() == db.keys()
    assert da.get("id") == db.get("id")
    assert da["n_known_terms"] == db["n_known_terms"]
    for topic in da["stance"]:
        assert da["stance"][topic]["label"] == db["stance"][topic]["label"]
        assert da["stance"][topic]["probabilities"] == pytest.approx(db["stance"][topic]["probabilities"], abs=1e-12)
        assert da["stance"][topic]["score"] == pytest.approx(db["stance"][topic]["score"], abs=1e-12)
    assert da["frames"]["primary"] == db["frames"]["primary"]
    assert da["frames"]["labels"] == db["frames"]["labels"]
    assert da["frames"]["probabilities"] == pytest.approx(db["frames"]["probabilities"], abs=1e-12)


def test_train_builds_models_for_each_topic_and_frames(analyzer, corpus):
    assert set(analyzer.stance_models) == {"arms_sales", "regional_stability"}
    assert analyzer.topics["arms_sales"] == BUNDLED_TOPICS["arms_sales"]
    assert set(analyzer.frames) == {f for fs in corpus.frames for f in fs}
    assert analyzer.info["corpus"]["digest"] == corpus.digest()
    assert analyzer.info["corpus"]["n_documents"] == len(corpus)
    assert "arms_sales" in repr(analyzer)


def test_score_gives_a_stance_per_topic(analyzer):
    result = analyzer.score(NEW_TEXTS[0])
    assert isinstance(result, Result)
    assert set(result.stance) == {"arms_sales", "regional_stability"}
    stance = result.stance["arms_sales"]
    assert isinstance(stance, StanceResult)
    assert stance.topic == "arms_sales"
    assert stance.label == "against"
    assert set(stance.probabilities) == {"favor", "against", "neutral"}
    assert stance.label == max(stance.probabilities, key=stance.probabilities.get)
    assert analyzer.score(NEW_TEXTS[1]).stance["arms_sales"].label == "favor"
    assert analyzer.score(NEW_TEXTS[3]).stance["regional_stability"].label == "destabilising"


@pytest.mark.parametrize("text", NEW_TEXTS)
def test_probabilities_sum_to_one_and_score_is_pos_minus_neg(analyzer, text):
    result = analyzer.score(text)
    for topic, stance in result.stance.items():
        definition = analyzer.topics[topic]
        assert sum(stance.probabilities.values()) == pytest.approx(1.0)
        assert all(0.0 <= p <= 1.0 for p in stance.probabilities.values())
        assert -1.0 <= stance.score <= 1.0
        expected = stance.probabilities[definition.positive] - stance.probabilities[definition.negative]
        assert stance.score == pytest.approx(expected)


def test_signed_score_has_the_right_sign(analyzer):
    assert analyzer.score(NEW_TEXTS[0]).stance["arms_sales"].score < 0
    assert analyzer.score(NEW_TEXTS[1]).stance["arms_sales"].score > 0


@pytest.mark.parametrize("text", NEW_TEXTS[:5])
def test_frames_cover_every_frame_and_labels_follow_thresholds(analyzer, text):
    frames = analyzer.score(text).frames
    assert isinstance(frames, FrameResult)
    assert list(frames.probabilities) == analyzer.frames
    assert all(0.0 < p < 1.0 for p in frames.probabilities.values())
    thresholds = dict(zip(analyzer.frames, analyzer.frame_model.thresholds_))
    over = {f for f, p in frames.probabilities.items() if p >= thresholds[f]}
    assert set(frames.labels) == over
    assert frames.labels == sorted(frames.labels, key=lambda f: -frames.probabilities[f])
    assert frames.primary in analyzer.frames


def test_frames_of_clear_texts(analyzer):
    assert analyzer.score(NEW_TEXTS[0]).frames.primary == "health_and_safety"
    assert "security_and_defense" in analyzer.score(NEW_TEXTS[3]).frames.labels


@pytest.mark.parametrize("text", ["", "   \n ", "Zyx qwv plonk.", "the of and"])
def test_empty_or_unknown_text_gives_a_valid_neutral_result(analyzer, text):
    result = analyzer.score(text)
    assert result.n_known_terms == 0
    for stance in result.stance.values():
        assert stance.label == "neutral"
        assert stance.score == 0.0
        assert sum(stance.probabilities.values()) == pytest.approx(1.0)
        assert len(set(stance.probabilities.values())) == 1
    assert result.frames.primary is None
    assert result.frames.labels == []
    assert list(result.frames.probabilities) == analyzer.frames
    json.dumps(result.to_dict())


def test_to_dict_is_json_serialisable_and_complete(analyzer):
    result = analyzer.score(NEW_TEXTS[1], id="doc-7")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["id"] == "doc-7"
    assert set(data["stance"]) == {"arms_sales", "regional_stability"}
    assert data["stance"]["arms_sales"]["label"] == result.stance["arms_sales"].label
    assert data["stance"]["arms_sales"]["score"] == result.stance["arms_sales"].score
    assert data["frames"]["primary"] == result.frames.primary
    assert data["frames"]["labels"] == result.frames.labels
    assert set(data["frames"]["probabilities"]) == set(analyzer.frames)
    assert data["n_known_terms"] == result.n_known_terms > 0
    assert "id" not in analyzer.score(NEW_TEXTS[1]).to_dict()


def test_to_row_is_flat(analyzer):
    row = analyzer.score(NEW_TEXTS[0], id="x").to_row()
    assert row["id"] == "x"
    assert row["arms_sales"] == "against"
    assert row["arms_sales_score"] == pytest.approx(row["arms_sales_p_favor"] - row["arms_sales_p_against"])
    assert row["primary_frame"] == "health_and_safety"
    assert set(row["frames"].split(";")) == set(analyzer.score(NEW_TEXTS[0]).frames.labels)
    assert all(f"frame_p_{f}" in row for f in analyzer.frames)
    assert all(not isinstance(v, (dict, list)) for v in row.values())


def test_repr_html_escapes(analyzer):
    html = analyzer.score(NEW_TEXTS[0])._repr_html_()
    assert "<table>" in html and "arms_sales" in html


def test_score_many_keeps_order_and_length_and_equals_score(analyzer):
    results = analyzer.score_many(NEW_TEXTS, ids=[f"t{i}" for i in range(len(NEW_TEXTS))])
    assert len(results) == len(NEW_TEXTS)
    assert [r.id for r in results] == [f"t{i}" for i in range(len(NEW_TEXTS))]
    for i, (text, result) in enumerate(zip(NEW_TEXTS, results)):
        _assert_same_result(result, analyzer.score(text, id=f"t{i}"))


def test_score_many_small_batches_equal_one_batch(analyzer, texts):
    one = analyzer.score_many(texts)
    small = analyzer.score_many(texts, batch_size=5)
    assert len(small) == len(one) == len(texts)
    for a, b in zip(one, small):
        _assert_same_result(a, b)


def test_score_many_in_two_processes_equals_one(analyzer, texts):
    many = texts + NEW_TEXTS
    serial = analyzer.score_many(many, ids=[str(i) for i in range(len(many))], n_jobs=1)
    parallel = analyzer.score_many(many, ids=[str(i) for i in range(len(many))], n_jobs=2, batch_size=7)
    assert len(parallel) == len(many)
    for a, b in zip(serial, parallel):
        _assert_same_result(a, b)


def test_score_many_with_negative_n_jobs_returns_one_result_per_text(analyzer):
    # joblib's convention: -2 is "all cores but one". Whatever n_jobs, no text may be lost.
    many = NEW_TEXTS * 3
    results = analyzer.score_many(many, n_jobs=-2, batch_size=4)
    assert len(results) == len(many)
    for a, b in zip(results, analyzer.score_many(many)):
        _assert_same_result(a, b)


def test_score_many_with_zero_n_jobs_is_a_clear_error(analyzer):
    with pytest.raises(ValueError, match="n_jobs"):
        analyzer.score_many(NEW_TEXTS * 3, n_jobs=0, batch_size=4)


def test_score_many_accepts_generators_and_empty_input(analyzer):
    assert analyzer.score_many([]) == []
    results = analyzer.score_many(t for t in NEW_TEXTS[:3])
    assert len(results) == 3


def test_score_and_score_many_errors(analyzer):
    with pytest.raises(TypeError, match="score expects a str"):
        analyzer.score(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Iterable over raw text documents"):
        analyzer.score_many("one text")
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str"):
        analyzer.score_many(["ok", 3])
    with pytest.raises(ValueError, match="ids has 1 entries for 2 texts"):
        analyzer.score_many(["a", "b"], ids=["x"])


def test_scoring_does_not_depend_on_text_normalisation(analyzer):
    plain = analyzer.score("We must not sell these bombs; they kill civilians.")
    fancy = analyzer.score("We\u00a0must not sell these bombs\u2014they kill civ\u200bilians.")
    _assert_same_result(plain, fancy)


# --------------------------------------------------------------------------- train options and errors


def test_train_is_deterministic_given_the_seed(corpus):
    a = framing.train(corpus, frames=False, random_state=5)
    b = framing.train(corpus, frames=False, random_state=5)
    for x, y in zip(a.score_many(NEW_TEXTS), b.score_many(NEW_TEXTS)):
        assert x.to_dict() == y.to_dict()


def test_train_without_frames(corpus):
    analyzer = framing.train(corpus, frames=False)
    assert analyzer.frame_model is None
    assert analyzer.frames == []
    result = analyzer.score(NEW_TEXTS[0])
    assert result.frames is None
    assert "frames" not in result.to_dict()


def test_train_honours_params(corpus):
    analyzer = framing.train(corpus, frames=False, params={"features": {"ngram_range": (1, 1), "min_df": 1}})
    names = analyzer.vectorizer.get_feature_names_out()
    assert all(" " not in n for n in names)
    assert analyzer.info["params"]["features"]["ngram_range"] == [1, 1]
    with pytest.raises(ValueError, match="Unknown parameter section 'model'"):
        framing.train(corpus, params={"model": {}})


def test_train_on_a_user_topic_infers_poles_and_neutral():
    texts = ["yes build the wall", "no wall ever", "a report on the wall", "yes more walls", "no walls", "walls news"]
    labels = ["PRO", "CON", "NONE", "PRO", "CON", "NONE"]
    corpus = Corpus(texts=texts, ids=[str(i) for i in range(6)], stance={"wall": labels})
    analyzer = framing.train(corpus, params={"features": {"min_df": 1}})
    topic = analyzer.topics["wall"]
    assert (topic.positive, topic.negative, topic.neutral) == ("PRO", "CON", "NONE")
    stance = analyzer.score("yes build more walls").stance["wall"]
    assert stance.score == pytest.approx(stance.probabilities["PRO"] - stance.probabilities["CON"])
    empty = analyzer.score("").stance["wall"]
    assert empty.label == "NONE"


def test_train_with_explicit_poles():
    texts = ["good deal", "bad deal", "good jets", "bad jets"]
    corpus = Corpus(texts=texts, ids=["1", "2", "3", "4"], stance={"t": ["up", "down", "up", "down"]})
    analyzer = framing.train(corpus, poles={"t": ("down", "up")}, params={"features": {"min_df": 1}})
    stance = analyzer.score("good jets").stance["t"]
    assert stance.score == pytest.approx(stance.probabilities["down"] - stance.probabilities["up"])
    assert stance.score < 0


def test_a_topic_without_poles_has_no_score():
    texts = ["red jets", "blue jets", "red tanks", "blue tanks"]
    corpus = Corpus(texts=texts, ids=["1", "2", "3", "4"], stance={"colour": ["red", "blue", "red", "blue"]})
    analyzer = framing.train(corpus, params={"features": {"min_df": 1}})
    result = analyzer.score("red jets")
    assert result.stance["colour"].score is None
    assert result.stance["colour"].label == "red"
    json.dumps(result.to_dict())


def test_texts_without_a_label_for_a_topic_are_left_out_of_it():
    texts = ["good deal", "bad deal", "good jets", "bad jets", "weather news"]
    corpus = Corpus(
        texts=texts,
        ids=[str(i) for i in range(5)],
        stance={"a": ["favor", "against", "favor", "against", None]},
    )
    analyzer = framing.train(corpus, params={"features": {"min_df": 1}})
    assert analyzer.stance_models["a"].classes_.tolist() == ["against", "favor"]


def test_train_errors():
    nothing = Corpus(texts=["a", "b"], ids=["1", "2"])
    with pytest.raises(ValueError, match="nothing to train"):
        framing.train(nothing)
    one_label = Corpus(texts=["a b", "b c"], ids=["1", "2"], stance={"t": ["favor", "favor"]})
    with pytest.raises(ValueError, match="topic 't' has only one label"):
        framing.train(one_label)


def test_results_are_frozen(analyzer):
    result = analyzer.score(NEW_TEXTS[0])
    with pytest.raises(AttributeError):
        result.id = "changed"  # type: ignore[misc]


def test_result_probabilities_are_plain_floats(analyzer):
    result = analyzer.score(NEW_TEXTS[0])
    for stance in result.stance.values():
        assert all(type(p) is float for p in stance.probabilities.values())
        assert type(stance.score) is float
    assert all(type(p) is float for p in result.frames.probabilities.values())
    assert type(result.n_known_terms) is int
    assert not isinstance(result.frames.primary, np.str_)
