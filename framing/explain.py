"""Explanations: which terms and sentences drive a score, for one text and for a whole model.

For a logistic regression the decision value of a label is ``intercept + sum(x_t * w_t)`` over
the text's TF-IDF features ``x_t``. A term's *contribution* is ``x_t * w_t``; the contributions
of a text and the intercept add up exactly to the decision value the model used. (A calibrated
stance model turns decision values into probabilities after dividing them by its temperature,
which rescales every contribution alike and changes no ranking.)

A sentence's *effect* is the drop in the predicted label's decision value when that sentence is
removed from the text (leave-one-out). It measures what the sentence adds in context, including
its word pairs and its share of the TF-IDF normalisation, which a sum of term contributions over
the sentence would not.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from framing.models import check_texts
from framing.result import Result
from framing.text import split_sentences

__all__ = ["Explanation", "SentenceEffect", "TermContribution", "TopicExplanation", "explain", "top_terms"]


@dataclass(frozen=True)
class TermContribution:
    """One n-gram's share of a decision value: ``contribution = value * weight``."""

    term: str
    value: float
    weight: float
    contribution: float

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "value": self.value, "weight": self.weight, "contribution": self.contribution}


@dataclass(frozen=True)
class SentenceEffect:
    """How much one sentence moves a score: ``effect = decision(text) - decision(text without it)``."""

    index: int
    text: str
    effect: float

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "text": self.text, "effect": self.effect}


@dataclass(frozen=True)
class TopicExplanation:
    """Why a text got its label on one topic.

    Attributes
    ----------
    topic, label : str
        The topic and the predicted label whose decision value is explained.
    decision : float
        The model's decision value (log-odds scale) for ``label``.
    intercept : float
        The part of ``decision`` that does not depend on the text.
    terms : list of TermContribution
        Every term of the text with a non-zero contribution, largest absolute contribution
        first; ``intercept + sum(contributions) == decision``.
    sentences : list of SentenceEffect
        The text's sentences, the one that most supports ``label`` first.
    """

    topic: str
    label: str
    decision: float
    intercept: float
    terms: list[TermContribution]
    sentences: list[SentenceEffect]

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "label": self.label,
            "decision": self.decision,
            "intercept": self.intercept,
            "terms": [t.to_dict() for t in self.terms],
            "sentences": [s.to_dict() for s in self.sentences],
        }


@dataclass(frozen=True)
class Explanation:
    """The explanation of one text: per topic, per frame, and the result it explains."""

    text: str
    result: Result
    topics: dict[str, TopicExplanation]
    frames: dict[str, list[SentenceEffect]] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)
    highlights: dict[str, list[tuple[str, float]]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable data."""
        return {
            "result": self.result.to_dict(),
            "topics": {t: e.to_dict() for t, e in self.topics.items()},
            "frames": {f: [s.to_dict() for s in ss] for f, ss in self.frames.items()},
            "sentences": list(self.sentences),
        }

    def format_text(self, n_terms: int = 8, n_sentences: int = 2) -> str:
        """A readable plain-text explanation for a terminal."""
        lines = []
        for topic, e in self.topics.items():
            s = self.result.stance[topic]
            score = "" if s.score is None else f", score {s.score:+.2f}"
            lines.append(f"{topic}: {e.label} (p={s.probabilities[e.label]:.2f}{score})")
            up = [t for t in e.terms if t.contribution > 0][:n_terms]
            down = [t for t in e.terms if t.contribution < 0][:n_terms]
            lines.append("  for:     " + (", ".join(f"{t.term} {t.contribution:+.2f}" for t in up) or "-"))
            lines.append("  against: " + (", ".join(f"{t.term} {t.contribution:+.2f}" for t in down) or "-"))
            for sent in e.sentences[:n_sentences]:
                lines.append(f"  sentence {sent.index + 1} ({sent.effect:+.2f}): {_clip(sent.text)}")
        if self.result.frames is not None:
            fr = self.result.frames
            lines.append(f"frames: primary {fr.primary}; over threshold: {', '.join(fr.labels) or '-'}")
            for frame, sents in self.frames.items():
                if sents:
                    lines.append(
                        f"  {frame}: sentence {sents[0].index + 1} (p={sents[0].effect:.2f}): {_clip(sents[0].text)}"
                    )
        if self.result.frame_profile:
            profile = ", ".join(f"{k} {v:.0%}" for k, v in self.result.frame_profile.items())
            lines.append(f"frame profile (share of sentences): {profile}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _render_html(self)

    def to_html(self) -> str:
        """A standalone HTML page of the explanation."""
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>framing explanation</title>"
            "<style>body{font-family:Georgia,serif;max-width:52em;margin:2em auto;line-height:1.55}"
            "mark{padding:0 .1em;border-radius:3px}.top{outline:2px solid #e0a800;outline-offset:1px}"
            "table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}</style>"
            f"</head><body>{_render_html(self)}</body></html>"
        )


def _clip(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _feature_names(analyzer: Any) -> np.ndarray:
    cache = getattr(analyzer, "_feature_names_cache", None)
    if cache is None:
        cache = np.asarray(analyzer.vectorizer.get_feature_names_out(), dtype=object)
        analyzer._feature_names_cache = cache
    return cache


def _text_feature_names(analyzer: Any, texts: Sequence[str]) -> Any:
    """Names of the feature columns: all names, or, for a hashing vectoriser, those of ``texts``' n-grams.

    A :class:`~sklearn.feature_extraction.text.HashingVectorizer` keeps no vocabulary, so its
    columns have no names; the n-grams of ``texts`` are recovered by running the vectoriser's
    analyzer on them and hashing each n-gram alone to its column. n-grams that collide in one
    column are named together, joined by `` | ``.
    """
    vectorizer = analyzer.vectorizer
    if hasattr(vectorizer, "get_feature_names_out"):
        return _feature_names(analyzer)
    from sklearn.feature_extraction import FeatureHasher

    analyze = vectorizer.build_analyzer()
    grams = sorted({gram for text in texts for gram in analyze(text)})
    by_column: dict[int, list[str]] = {}
    if grams:
        hasher = FeatureHasher(n_features=vectorizer.n_features, input_type="string", alternate_sign=False)
        columns = hasher.transform([[g] for g in grams]).tocsr().indices
        for gram, column in zip(grams, columns):
            by_column.setdefault(int(column), []).append(gram)
    return {column: " | ".join(found) for column, found in by_column.items()}


def _class_weights(model: Any, label: str) -> tuple[np.ndarray, float]:
    """Coefficients and intercept of ``label``'s decision value, for binary and multinomial models."""
    est = model.estimator_
    classes = list(model.classes_)
    if est.coef_.shape[0] == 1:
        sign = 1.0 if classes.index(label) == 1 else -1.0
        return sign * est.coef_[0], sign * float(est.intercept_[0])
    j = classes.index(label)
    return est.coef_[j], float(est.intercept_[j])


def explain(analyzer: Any, text: str, *, top_sentences: int | None = None) -> Explanation:
    """Explain the scores of one text.

    Parameters
    ----------
    analyzer : Analyzer
        The models.
    text : str
        The text.
    top_sentences : int, optional
        Keep only this many sentences per topic and frame (all by default).

    Returns
    -------
    Explanation
    """
    if not isinstance(text, str):
        raise TypeError(f"explain expects a str, got {type(text).__name__}.")
    result = analyzer.score(text, frame_profile=True)
    sentences = split_sentences(text)
    X = analyzer.vectorizer.transform([text])
    # Row i+1 is the text without sentence i; the sentences alone follow, for the frames.
    without = [" ".join(s for j, s in enumerate(sentences) if j != i) for i in range(len(sentences))]
    X_without = analyzer.vectorizer.transform(without) if sentences else None
    names = _text_feature_names(analyzer, [text])
    row = X.tocsr()
    topics: dict[str, TopicExplanation] = {}
    for topic, model in analyzer.stance_models.items():
        label = result.stance[topic].label
        weights, intercept = _class_weights(model, label)
        idx, values = row.indices, row.data
        contrib = values * weights[idx]
        order = np.argsort(-np.abs(contrib), kind="stable")
        terms = [
            TermContribution(str(names[int(idx[k])]), float(values[k]), float(weights[idx[k]]), float(contrib[k]))
            for k in order
            if contrib[k] != 0.0
        ]
        decision = float(intercept + contrib.sum())
        effects: list[SentenceEffect] = []
        if X_without is not None:
            rest = np.asarray(X_without @ weights).ravel() + intercept
            effects = [SentenceEffect(i, s, float(decision - rest[i])) for i, s in enumerate(sentences)]
            effects.sort(key=lambda e: -e.effect)
        topics[topic] = TopicExplanation(topic, label, decision, intercept, terms, effects[:top_sentences])
    frames: dict[str, list[SentenceEffect]] = {}
    if analyzer.frame_model is not None and sentences:
        proba = analyzer.frame_model.proba_from_features(analyzer.vectorizer.transform(sentences))
        shown = result.frames.labels or ([result.frames.primary] if result.frames.primary else [])
        for frame in shown:
            j = list(analyzer.frame_model.classes_).index(frame)
            ranked = sorted(range(len(sentences)), key=lambda i: -proba[i, j])
            frames[frame] = [SentenceEffect(i, sentences[i], float(proba[i, j])) for i in ranked][:top_sentences]
    words = _WORDS.findall(text)
    highlights = {topic: list(zip(words, _word_weights(analyzer, e, words))) for topic, e in topics.items()}
    return Explanation(
        text=text, result=result, topics=topics, frames=frames, sentences=sentences, highlights=highlights
    )


def top_terms(
    analyzer: Any, n: int = 15, texts: Sequence[str] | None = None
) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """The model-level top terms: per topic and label, and per frame, the ``n`` largest weights.

    Parameters
    ----------
    analyzer : Analyzer
        The models.
    n : int, default=15
        Terms per label and per frame.
    texts : sequence of str, optional
        Needed only for models trained with hashed features (``framing train --streaming``),
        which keep no vocabulary: their columns are named by the n-grams of these texts (a
        sample of the training data or of the texts being studied), and only columns so named
        are ranked. Ignored for models with a vocabulary.

    Returns
    -------
    dict
        ``{"stance": {topic: {label: [(term, weight), ...]}}, "frames": {frame: [(term, weight), ...]}}``

    Raises
    ------
    ValueError
        For a hashed-feature model without ``texts``.
    """
    if hasattr(analyzer.vectorizer, "get_feature_names_out"):
        names = _feature_names(analyzer)
        columns = np.arange(len(names))
    else:
        if texts is None:
            raise ValueError(
                "this model uses hashed features (trained with --streaming) and keeps no vocabulary; "
                "pass texts=[...] (e.g. a sample of its training texts) to name its columns."
            )
        by_column = _text_feature_names(analyzer, check_texts(texts, "texts"))
        columns = np.asarray(sorted(by_column), dtype=np.int64)
        names = np.empty(analyzer.vectorizer.n_features, dtype=object)
        names[columns] = [by_column[c] for c in columns.tolist()]

    def best(weights: np.ndarray) -> list[tuple[str, float]]:
        order = columns[np.argsort(-weights[columns], kind="stable")[:n]]
        return [(str(names[k]), float(weights[k])) for k in order]

    out: dict[str, Any] = {"stance": {}, "frames": {}}
    for topic, model in analyzer.stance_models.items():
        out["stance"][topic] = {str(label): best(_class_weights(model, label)[0]) for label in model.classes_}
    if analyzer.frame_model is not None:
        for j, frame in enumerate(analyzer.frame_model.classes_):
            out["frames"][str(frame)] = best(analyzer.frame_model.coef_[j])
    return out


_WORDS = re.compile(r"\w+(?:[-'’]\w+)*|\W+", re.UNICODE)


def _word_weights(analyzer: Any, e: TopicExplanation, words: list[str]) -> list[float]:
    """Spread each term's contribution over the words of the text that make it up."""
    tokenizer = getattr(analyzer.vectorizer, "tokenizer", None)
    by_term = {t.term: t.contribution for t in e.terms}
    weights = [0.0] * len(words)
    if tokenizer is None:
        return weights
    tokens: list[tuple[int, str]] = []
    for i, w in enumerate(words):
        if w[:1].isalnum() or w[:1] == "_":
            for tok in tokenizer(w):
                tokens.append((i, tok))
    for k, (i, tok) in enumerate(tokens):
        weights[i] += by_term.get(tok, 0.0)
        if k + 1 < len(tokens):
            pair = by_term.get(f"{tok} {tokens[k + 1][1]}", 0.0)
            weights[i] += pair / 2
            weights[tokens[k + 1][0]] += pair / 2
    return weights


def _render_html(ex: Explanation) -> str:
    parts = []
    for topic, e in ex.topics.items():
        s = ex.result.stance[topic]
        score = "" if s.score is None else f", score {s.score:+.2f}"
        pieces = ex.highlights.get(topic) or [(w, 0.0) for w in _WORDS.findall(ex.text)]
        words = [w for w, _ in pieces]
        weights = [x for _, x in pieces]
        scale = max((abs(w) for w in weights), default=0.0) or 1.0
        top = {x.text for x in e.sentences[:2] if x.effect > 0}
        body = []
        for w, weight in zip(words, weights):
            if weight:
                alpha = min(abs(weight) / scale, 1.0) * 0.75 + 0.1
                colour = f"rgba(30,140,60,{alpha:.2f})" if weight > 0 else f"rgba(200,40,40,{alpha:.2f})"
                body.append(f"<mark style='background:{colour}' title='{weight:+.3f}'>{html.escape(w)}</mark>")
            else:
                body.append(html.escape(w))
        rendered = "".join(body)
        for sentence in top:
            escaped = html.escape(sentence)
            if escaped in rendered:
                rendered = rendered.replace(escaped, f"<span class='top'>{escaped}</span>", 1)
        parts.append(
            f"<h3>{html.escape(topic)}: {html.escape(e.label)} (p={s.probabilities[e.label]:.2f}{score})</h3>"
            "<p style='font-size:90%'>green words push toward this label, red words away from it; "
            "outlined: the sentences that support it most.</p>"
            f"<div style='white-space:pre-wrap'>{rendered}</div>"
        )
        rows = "".join(f"<tr><td>{html.escape(t.term)}</td><td>{t.contribution:+.3f}</td></tr>" for t in e.terms[:10])
        parts.append(f"<table><tr><th>term</th><th>contribution</th></tr>{rows}</table>")
    if ex.result.frames is not None:
        fr = ex.result.frames
        parts.append(f"<h3>frames: primary {html.escape(str(fr.primary))}</h3>")
        rows = "".join(
            f"<tr><td>{html.escape(f)}</td><td>{fr.probabilities[f]:.2f}</td><td>{html.escape(_clip(ss[0].text)) if ss else ''}</td></tr>"
            for f, ss in ex.frames.items()
        )
        parts.append(f"<table><tr><th>frame</th><th>p</th><th>strongest sentence</th></tr>{rows}</table>")
        if ex.result.frame_profile:
            profile = ", ".join(f"{html.escape(k)} {v:.0%}" for k, v in ex.result.frame_profile.items())
            parts.append(f"<p>frame profile (share of sentences): {profile}</p>")
    return "\n".join(parts)
