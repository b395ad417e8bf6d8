"""Explanations and frame profiles: exact decompositions, sentence effects, HTML, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_cli

import framing
from framing.explain import explain, top_terms

TEXT = (
    "The jet sale brings factory jobs, we are told. But the bombs keep falling on markets.\n\n"
    "Congress must block the sale. Deterrence is not served by arming a war without end."
)


@pytest.fixture(scope="module")
def explanation(analyzer):
    return analyzer.explain(TEXT)


def test_term_contributions_and_intercept_reproduce_the_decision_value(analyzer, explanation):
    X = analyzer.vectorizer.transform([TEXT])
    for topic, e in explanation.topics.items():
        model = analyzer.stance_models[topic]
        decision = np.atleast_2d(model.decision_from_features(X))[0]
        classes = list(model.classes_)
        expected = decision[classes.index(e.label)] if decision.size > 1 else decision[0]
        assert e.decision == pytest.approx(expected, abs=1e-6)
        assert e.intercept + sum(t.contribution for t in e.terms) == pytest.approx(e.decision, abs=1e-6)


def test_terms_are_the_texts_own_ngrams_ranked_by_absolute_contribution(analyzer, explanation):
    vocabulary = set(analyzer.vectorizer.get_feature_names_out())
    for e in explanation.topics.values():
        assert e.terms, "a text with known words has contributing terms"
        assert {t.term for t in e.terms} <= vocabulary
        sizes = [abs(t.contribution) for t in e.terms]
        assert sizes == sorted(sizes, reverse=True)
        for t in e.terms:
            assert t.contribution == pytest.approx(t.value * t.weight)


def test_sentence_effects_are_leave_one_out_changes_of_the_decision(analyzer, explanation):
    sentences = framing.split_sentences(TEXT)
    assert explanation.sentences == sentences
    for topic, e in explanation.topics.items():
        assert sorted(s.index for s in e.sentences) == list(range(len(sentences)))
        model = analyzer.stance_models[topic]
        label = list(model.classes_).index(e.label)
        for s in e.sentences:
            rest = " ".join(x for i, x in enumerate(sentences) if i != s.index)
            without = np.atleast_2d(model.decision_from_features(analyzer.vectorizer.transform([rest])))[0]
            value = without[label] if without.size > 1 else without[0]
            assert s.effect == pytest.approx(e.decision - value, abs=1e-9)
        effects = [s.effect for s in e.sentences]
        assert effects == sorted(effects, reverse=True)


def test_frame_evidence_names_sentences_for_the_frames_found(explanation):
    frames = explanation.result.frames
    assert set(explanation.frames) == set(frames.labels)
    for sentences in explanation.frames.values():
        assert all(0.0 <= s.effect <= 1.0 for s in sentences)


def test_explanation_is_json_serialisable_and_readable(explanation):
    data = json.loads(json.dumps(explanation.to_dict()))
    assert set(data["topics"]) == {"arms_sales", "regional_stability"}
    text = explanation.format_text()
    assert "arms_sales:" in text and "frames:" in text


def test_html_highlights_terms_and_escapes_the_text(analyzer):
    e = analyzer.explain("Stop the <script>alert(1)</script> sale of bombs & jets now!")
    page = e.to_html()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<mark" in page and page.startswith("<!DOCTYPE html>")
    assert e._repr_html_() in page


def test_top_terms_are_sorted_per_label_and_frame(analyzer):
    terms = top_terms(analyzer, n=5)
    assert set(terms["stance"]) == set(analyzer.stance_models)
    for topic, by_label in terms["stance"].items():
        assert set(by_label) == set(analyzer.stance_models[topic].classes_)
        for pairs in by_label.values():
            weights = [w for _, w in pairs]
            assert len(pairs) == 5 and weights == sorted(weights, reverse=True)
    assert set(terms["frames"]) == set(analyzer.frames)
    assert top_terms(analyzer, n=5, texts=["only hashed models use these"]) == terms


def test_frame_profile_shares_sentences_and_sums_to_one(analyzer):
    result = analyzer.score(TEXT)
    profile = result.frame_profile
    assert profile is not None and set(profile) <= set(analyzer.frames)
    assert sum(profile.values()) == pytest.approx(1.0)
    n_sentences = len(framing.split_sentences(TEXT))
    for share in profile.values():
        assert share * n_sentences == pytest.approx(round(share * n_sentences))
    assert analyzer.score("").frame_profile is None
    assert analyzer.score_many([TEXT])[0].frame_profile is None  # opt-in for bulk scoring
    assert analyzer.score_many([TEXT], frame_profile=True)[0].frame_profile == profile


def test_explain_rejects_non_text(analyzer):
    with pytest.raises(TypeError, match="str"):
        explain(analyzer, None)  # type: ignore[arg-type]


def test_cli_explain_prints_text_json_and_writes_html(tmp_path, saved_model):
    source = tmp_path / "oped.txt"
    source.write_text(TEXT, encoding="utf-8")
    page = tmp_path / "out.html"
    proc = run_cli("explain", source, "--model", saved_model, "--html", page)
    assert proc.returncode == 0, proc.stderr
    assert "arms_sales:" in proc.stdout and page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    proc = run_cli("explain", source, "--model", saved_model, "--json")
    assert proc.returncode == 0, proc.stderr
    assert set(json.loads(proc.stdout)["topics"]) == {"arms_sales", "regional_stability"}
    proc = run_cli("explain", tmp_path / "missing.txt", "--model", saved_model)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
