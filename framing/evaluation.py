"""Evaluate an analyzer on a labelled corpus: per-topic and per-frame metrics, as data and as a table."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from framing.corpus import Corpus

__all__ = ["evaluate", "format_report", "frame_metrics", "stance_metrics"]


def stance_metrics(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix."""
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0.0)
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0.0)),
        "per_class": {
            label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, label in enumerate(labels)
        },
        "labels": list(labels),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def frame_metrics(
    true_sets: list[list[str]],
    pred_sets: list[list[str]],
    frames: list[str],
    true_primary: list[str | None] | None = None,
    pred_primary: list[str | None] | None = None,
) -> dict[str, Any]:
    """Micro- and macro-F1 over frames, per-frame F1 and support, and primary-frame accuracy."""
    index = {f: j for j, f in enumerate(frames)}
    Y = np.zeros((len(true_sets), len(frames)), dtype=int)
    P = np.zeros_like(Y)
    for i, (t, p) in enumerate(zip(true_sets, pred_sets)):
        for f in t:
            if f in index:
                Y[i, index[f]] = 1
        for f in p:
            P[i, index[f]] = 1
    prec, rec, f1, support = precision_recall_fscore_support(Y, P, zero_division=0.0)
    out: dict[str, Any] = {
        "n": len(true_sets),
        "micro_f1": float(f1_score(Y, P, average="micro", zero_division=0.0)),
        "macro_f1": float(f1_score(Y[:, support > 0], P[:, support > 0], average="macro", zero_division=0.0))
        if (support > 0).any()
        else 0.0,
        "per_frame": {
            f: {"precision": float(prec[j]), "recall": float(rec[j]), "f1": float(f1[j]), "support": int(support[j])}
            for j, f in enumerate(frames)
        },
    }
    if true_primary is not None and pred_primary is not None:
        pairs = [(t, p) for t, p in zip(true_primary, pred_primary) if t is not None]
        if pairs:
            out["primary_accuracy"] = float(np.mean([t == p for t, p in pairs]))
            labels = sorted({t for t, _ in pairs})
            out["primary_macro_f1"] = float(
                f1_score(
                    [t for t, _ in pairs], [p for _, p in pairs], labels=labels, average="macro", zero_division=0.0
                )
            )
    return out


def evaluate(analyzer: Any, corpus: Corpus) -> dict[str, Any]:
    """Score ``corpus`` with ``analyzer`` and compare with its labels.

    Topics of the corpus that the analyzer lacks (and the reverse) are skipped and listed under
    ``"skipped_topics"``; texts without a label for a topic are left out of that topic.

    Returns
    -------
    dict
        ``{"n_documents", "topics": {topic: stance_metrics}, "frames": frame_metrics or None,
        "skipped_topics": [...]}``
    """
    results = analyzer.score_many(corpus.texts)
    report: dict[str, Any] = {"n_documents": len(corpus), "topics": {}, "frames": None, "skipped_topics": []}
    for topic, gold in corpus.stance.items():
        if topic not in analyzer.stance_models:
            report["skipped_topics"].append(topic)
            continue
        pairs = [(g, results[i].stance[topic].label) for i, g in enumerate(gold) if g is not None]
        labels = list(analyzer.topics[topic].labels)
        labels += sorted({g for g, _ in pairs} - set(labels))
        report["topics"][topic] = stance_metrics([g for g, _ in pairs], [p for _, p in pairs], labels)
    if corpus.frames is not None and analyzer.frame_model is not None:
        rows = [i for i, fs in enumerate(corpus.frames) if fs]
        report["frames"] = frame_metrics(
            [corpus.frames[i] for i in rows],
            [results[i].frames.labels for i in rows],
            analyzer.frames,
            [corpus.primary[i] for i in rows] if corpus.primary is not None else None,
            [results[i].frames.primary for i in rows],
        )
    return report


def format_report(report: dict[str, Any]) -> str:
    """Render an :func:`evaluate` report as a readable plain-text table."""
    lines = [f"documents: {report['n_documents']}"]
    for topic, m in report["topics"].items():
        lines += ["", f"topic {topic}  (n={m['n']})  accuracy {m['accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}"]
        lines.append(f"  {'label':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
        for label, c in m["per_class"].items():
            lines.append(f"  {label:<16}{c['precision']:>10.3f}{c['recall']:>10.3f}{c['f1']:>10.3f}{c['support']:>9d}")
        width = max(len(x) for x in m["labels"]) + 2
        lines.append("  confusion (rows = true, columns = predicted):")
        lines.append("  " + " " * width + "".join(f"{x[:10]:>12}" for x in m["labels"]))
        for label, row in zip(m["labels"], m["confusion_matrix"]):
            lines.append(f"  {label:<{width}}" + "".join(f"{v:>12d}" for v in row))
    f = report.get("frames")
    if f:
        lines += ["", f"frames  (n={f['n']})  micro-F1 {f['micro_f1']:.3f}  macro-F1 {f['macro_f1']:.3f}"]
        if "primary_accuracy" in f:
            lines[-1] += f"  primary accuracy {f['primary_accuracy']:.3f}"
        lines.append(f"  {'frame':<42}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
        for name, c in f["per_frame"].items():
            lines.append(f"  {name:<42}{c['precision']:>10.3f}{c['recall']:>10.3f}{c['f1']:>10.3f}{c['support']:>9d}")
    if report.get("skipped_topics"):
        lines += ["", "topics in the corpus but not in the model (skipped): " + ", ".join(report["skipped_topics"])]
    return "\n".join(lines)
