"""The objects a score returns: per-topic stance, frames, and the result of one text."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FrameResult", "Result", "StanceResult", "flat_scores"]


@dataclass(frozen=True)
class StanceResult:
    """The stance of one text toward one topic.

    Attributes
    ----------
    topic : str
        The topic name.
    label : str
        The predicted label.
    probabilities : dict of str to float
        Probability of each label; the values sum to 1.
    score : float or None
        ``P(positive) - P(negative)`` in [-1, 1] (e.g. favor - against); ``None`` for a topic
        without poles.
    """

    topic: str
    label: str
    probabilities: dict[str, float]
    score: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-serialisable data."""
        return {"label": self.label, "probabilities": dict(self.probabilities), "score": self.score}


@dataclass(frozen=True)
class FrameResult:
    """The frames of one text.

    Attributes
    ----------
    probabilities : dict of str to float
        Probability that the text uses each frame, independently per frame (they do not sum to 1).
    primary : str or None
        The dominant frame; ``None`` when the text has no words the model knows.
    labels : list of str
        The frames whose probability reaches their tuned threshold, and the primary frame,
        most probable first.
    """

    probabilities: dict[str, float]
    primary: str | None
    labels: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-serialisable data."""
        return {"probabilities": dict(self.probabilities), "primary": self.primary, "labels": list(self.labels)}


@dataclass(frozen=True)
class Result:
    """Everything scored for one text.

    Attributes
    ----------
    stance : dict of str to StanceResult
        One entry per topic of the model.
    frames : FrameResult or None
        The frames, when the model has a frame classifier.
    id : str or None
        The record's id, when it came with one.
    n_known_terms : int
        How many distinct features of the model the text has. Zero means the model has no
        evidence about the text: stance then falls back to the neutral label with uniform
        probabilities, and no frame is assigned.
    frame_profile : dict of str to float or None
        Share of the text's sentences that use each frame (see :meth:`Analyzer.score`).
    """

    stance: dict[str, StanceResult]
    frames: FrameResult | None
    id: str | None = None
    n_known_terms: int = 0
    frame_profile: dict[str, float] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain, JSON-serialisable data."""
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["stance"] = {topic: s.to_dict() for topic, s in self.stance.items()}
        if self.frames is not None:
            out["frames"] = self.frames.to_dict()
        if self.frame_profile is not None:
            out["frame_profile"] = dict(self.frame_profile)
        out["n_known_terms"] = self.n_known_terms
        return out

    def to_row(self) -> dict[str, Any]:
        """Return the result as one flat row (for CSV and spreadsheets): ``id``, then the
        columns of :func:`flat_scores`."""
        return {"id": self.id, **flat_scores(self.to_dict())}

    def _repr_html_(self) -> str:
        rows = []
        for topic, s in self.stance.items():
            probs = ", ".join(f"{k} {v:.2f}" for k, v in s.probabilities.items())
            score = "" if s.score is None else f"{s.score:+.2f}"
            rows.append(
                f"<tr><td>{html.escape(topic)}</td><td><b>{html.escape(s.label)}</b></td>"
                f"<td>{score}</td><td>{html.escape(probs)}</td></tr>"
            )
        table = (
            "<table><tr><th>topic</th><th>label</th><th>score</th><th>probabilities</th></tr>"
            + "".join(rows)
            + "</table>"
        )
        if self.frames is None:
            return table
        frames = sorted(self.frames.probabilities.items(), key=lambda kv: -kv[1])
        bars = "".join(
            f"<tr><td>{html.escape(name)}{' &#9733;' if name == self.frames.primary else ''}</td>"
            f"<td><div style='background:#4a7;height:0.8em;width:{100 * p:.0f}px'></div></td><td>{p:.2f}</td></tr>"
            for name, p in frames
        )
        return table + "<p>Frames (&#9733; primary):</p><table>" + bars + "</table>"


def flat_scores(scored: dict[str, Any], digits: int | None = None) -> dict[str, Any]:
    """Flatten the scores of a :meth:`Result.to_dict` into spreadsheet columns.

    Columns: per topic ``<topic>`` (label), ``<topic>_score`` and ``<topic>_p_<label>``; then
    ``primary_frame``, ``frames`` (";"-joined) and ``frame_p_<frame>`` for every frame. The one
    place the flat layout is defined: CSV output, DataFrames and :meth:`Result.to_row` use it.

    Parameters
    ----------
    scored : dict
        ``Result.to_dict()`` (or a scoring output record holding its ``stance`` and ``frames``).
    digits : int, optional
        Round probabilities to this many digits.
    """

    def p(value: float) -> float:
        return value if digits is None else round(value, digits)

    row: dict[str, Any] = {}
    for topic, s in scored.get("stance", {}).items():
        row[topic] = s["label"]
        row[f"{topic}_score"] = s["score"]
        row.update({f"{topic}_p_{label}": p(v) for label, v in s["probabilities"].items()})
    frames = scored.get("frames")
    if frames:
        row["primary_frame"] = frames["primary"]
        row["frames"] = ";".join(frames["labels"])
        row.update({f"frame_p_{f}": p(v) for f, v in frames["probabilities"].items()})
    return row
