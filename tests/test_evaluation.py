"""framing.evaluation: metrics against gold labels, as data and as a table."""

from __future__ import annotations

import json

import pytest

from framing import Corpus
from framing.evaluation import evaluate, format_report, frame_metrics, stance_metrics


def test_stance_metrics_on_known_predictions():
    y_true = ["favor", "favor", "against", "against", "neutral", "neutral"]
    y_pred = ["favor", "against", "against", "against", "neutral", "favor"]
    m = stance_metrics(y_true, y_pred, ["favor", "against", "neutral"])
    assert m["n"] == 6
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["labels"] == ["favor", "against", "neutral"]
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert m["per_class"]["against"] == {"precision": pytest.approx(2 / 3), "recall": 1.0, "f1": pytest.approx(0.8),
                                         "support": 2}  # fmt: skip
    f1s = [m["per_class"][c]["f1"] for c in m["labels"]]
    assert m["macro_f1"] == pytest.approx(sum(f1s) / 3)
    json.dumps(m)


def test_stance_metrics_label_without_support_scores_zero_not_nan():
    m = stance_metrics(["favor", "against"], ["favor", "against"], ["favor", "against", "neutral"])
    assert m["per_class"]["neutral"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert m["accuracy"] == 1.0


def test_frame_metrics_on_known_predictions():
    frames = ["economic", "morality", "political"]
    true = [["economic"], ["economic", "morality"], ["political"]]
    pred = [["economic"], ["economic"], ["morality"]]
    m = frame_metrics(true, pred, frames, ["economic", "morality", "political"], ["economic", "economic", "morality"])
    # true positives 2 (economic twice), false positives 1, false negatives 2
    assert m["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 2))
    assert m["per_frame"]["economic"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert m["per_frame"]["political"]["support"] == 1 and m["per_frame"]["political"]["f1"] == 0.0
    assert m["macro_f1"] == pytest.approx((1.0 + 0.0 + 0.0) / 3)
    assert m["primary_accuracy"] == pytest.approx(1 / 3)
    assert m["n"] == 3
    json.dumps(m)


def test_frame_metrics_macro_ignores_frames_without_support():
    m = frame_metrics([["economic"]], [["economic"]], ["economic", "morality"])
    assert m["macro_f1"] == 1.0
    assert "primary_accuracy" not in m


def test_evaluate_on_the_training_corpus(analyzer, corpus):
    report = evaluate(analyzer, corpus)
    assert report["n_documents"] == len(corpus)
    assert set(report["topics"]) == {"arms_sales", "regional_stability"}
    arms = report["topics"]["arms_sales"]
    assert arms["labels"] == ["favor", "against", "neutral"]
    assert arms["n"] == len(corpus)
    predicted = [r.stance["arms_sales"].label for r in analyzer.score_many(corpus.texts)]
    correct = sum(p == g for p, g in zip(predicted, corpus.stance["arms_sales"]))
    assert arms["accuracy"] == pytest.approx(correct / len(corpus))
    assert sum(map(sum, arms["confusion_matrix"])) == len(corpus)
    assert set(report["frames"]["per_frame"]) == set(analyzer.frames)
    assert 0.0 <= report["frames"]["primary_accuracy"] <= 1.0
    assert report["skipped_topics"] == []
    json.dumps(report)


def test_evaluate_skips_unknown_topics_and_unlabelled_texts(analyzer):
    corpus = Corpus(
        texts=["We must not sell the bombs.", "Approve the jets.", "Rain again."],
        ids=["1", "2", "3"],
        stance={"arms_sales": ["against", "favor", None], "weather": ["none", "none", "wet"]},
    )
    report = evaluate(analyzer, corpus)
    assert report["skipped_topics"] == ["weather"]
    assert report["topics"]["arms_sales"]["n"] == 2
    assert report["frames"] is None
    assert "weather" in format_report(report)


def test_evaluate_keeps_gold_labels_the_model_does_not_know(analyzer):
    corpus = Corpus(texts=["Approve the jets.", "Stop it."], ids=["1", "2"], stance={"arms_sales": ["favor", "mixed"]})
    report = evaluate(analyzer, corpus)
    assert report["topics"]["arms_sales"]["labels"] == ["favor", "against", "neutral", "mixed"]
    assert report["topics"]["arms_sales"]["per_class"]["mixed"]["support"] == 1


def test_format_report_is_a_readable_table(analyzer, corpus):
    text = format_report(evaluate(analyzer, corpus))
    assert text.startswith(f"documents: {len(corpus)}")
    assert "topic arms_sales" in text and "topic regional_stability" in text
    assert "confusion (rows = true, columns = predicted)" in text
    assert "frames  (n=" in text and "primary accuracy" in text
    for frame in analyzer.frames:
        assert frame in text


def test_fast_macro_f1_matches_scikit_learn_on_resamples():
    # The bootstrap computes macro-F1 from label codes; it must agree with scikit-learn's
    # f1_score(labels=..., zero_division=0), including labels absent from a resample and a
    # predicted label outside the averaged ones.
    import numpy as np
    from sklearn.metrics import f1_score

    from framing.evaluation import _macro_f1_from_codes

    rng = np.random.default_rng(1)
    labels = ["favor", "against", "neutral", "other"]
    for _ in range(50):
        n = int(rng.integers(1, 40))
        t = rng.integers(0, 3, n)  # "other" is never true ...
        q = rng.integers(0, 4, n)  # ... but sometimes predicted, and never averaged below
        expected = f1_score([labels[i] for i in t], [labels[i] for i in q], labels=labels[:3], average="macro",
                            zero_division=0.0)  # fmt: skip
        assert _macro_f1_from_codes(t, q, 4, 3) == pytest.approx(expected)


def test_bootstrap_intervals_contain_the_estimate_and_narrow_with_more_documents():
    y_true = ["favor", "against", "neutral"] * 20
    y_pred = ["favor", "against", "favor"] * 20
    small = stance_metrics(y_true[:15], y_pred[:15], ["favor", "against", "neutral"], n_bootstrap=300)
    large = stance_metrics(y_true, y_pred, ["favor", "against", "neutral"], n_bootstrap=300)
    for m in (small, large):
        low, high = m["macro_f1_ci"]
        assert low <= m["macro_f1"] <= high
        assert m["accuracy_ci"][0] <= m["accuracy"] <= m["accuracy_ci"][1]
    assert large["macro_f1_ci"][1] - large["macro_f1_ci"][0] < small["macro_f1_ci"][1] - small["macro_f1_ci"][0]
    # Deterministic for a seed; no interval unless asked.
    assert stance_metrics(y_true, y_pred, ["favor", "against", "neutral"], n_bootstrap=300) == large
    assert "macro_f1_ci" not in stance_metrics(y_true, y_pred, ["favor", "against", "neutral"])
    # Perfect predictions: the interval collapses on 1.
    perfect = stance_metrics(y_true, y_true, ["favor", "against", "neutral"], n_bootstrap=100)
    assert perfect["macro_f1_ci"] == [1.0, 1.0]


def test_frame_micro_f1_interval():
    true = [["economic"], ["economic", "morality"], ["political"], ["morality"]] * 10
    pred = [["economic"], ["economic"], ["morality"], ["morality"]] * 10
    m = frame_metrics(true, pred, ["economic", "morality", "political"], n_bootstrap=300)
    low, high = m["micro_f1_ci"]
    assert 0.0 <= low <= m["micro_f1"] <= high <= 1.0 and low < high
    json.dumps(m)


def test_bootstrap_interval_rejects_bad_arguments():
    from framing.evaluation import bootstrap_interval

    with pytest.raises(ValueError, match="at least one document"):
        bootstrap_interval(lambda i: 0.0, 0)
    with pytest.raises(ValueError, match="level"):
        bootstrap_interval(lambda i: 0.0, 3, level=1.5)


def test_evaluate_reports_intervals_in_data_and_table(analyzer, corpus):
    report = evaluate(analyzer, corpus, n_bootstrap=200)
    for m in report["topics"].values():
        assert m["macro_f1_ci"][0] <= m["macro_f1"] <= m["macro_f1_ci"][1]
    assert report["frames"]["micro_f1_ci"][0] <= report["frames"]["micro_f1"] <= report["frames"]["micro_f1_ci"][1]
    text = format_report(report)
    low, high = report["topics"]["arms_sales"]["macro_f1_ci"]
    assert f"[{low:.3f}, {high:.3f}]" in text and "bootstrap interval" in text
    assert "bootstrap" not in format_report(evaluate(analyzer, corpus, n_bootstrap=0))
