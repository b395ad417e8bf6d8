"""Evaluate an analyzer on a labelled corpus: per-topic and per-frame metrics, as data and as a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from framing.corpus import Corpus

__all__ = ["bootstrap_interval", "evaluate", "format_report", "frame_metrics", "stance_metrics"]

#: Resamples for the bootstrap intervals of :func:`evaluate` (``framing evaluate --bootstrap``).
N_BOOTSTRAP = 1000


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float],
    n: int,
    *,
    n_bootstrap: int = N_BOOTSTRAP,
    level: float = 0.95,
    random_state: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of a statistic over ``n`` documents resampled with replacement.

    Parameters
    ----------
    statistic : callable
        Takes an array of ``n`` document indices (with repeats) and returns the statistic of
        that resample.
    n : int
        Number of documents.
    n_bootstrap : int, default=1000
        Number of resamples.
    level : float, default=0.95
        Coverage of the interval.
    random_state : int, default=0
        Seed: the same inputs give the same interval.

    Returns
    -------
    (float, float)
        The lower and upper bounds.
    """
    if n < 1 or n_bootstrap < 1:
        raise ValueError(f"need at least one document and one resample, got n={n}, n_bootstrap={n_bootstrap}.")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}.")
    rng = np.random.default_rng(random_state)
    values = np.array([statistic(rng.integers(0, n, n)) for _ in range(n_bootstrap)])
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _macro_f1_from_codes(true: np.ndarray, pred: np.ndarray, k: int, n_average: int) -> float:
    """Macro-F1 of label codes ``0..k-1``, averaged over the first ``n_average`` codes.

    A label with no true and no predicted document scores 0, as scikit-learn's ``f1_score``
    with ``zero_division=0`` does.
    """
    cm = np.bincount(true * k + pred, minlength=k * k).reshape(k, k)
    denominator = cm.sum(axis=0) + cm.sum(axis=1)
    f1 = np.divide(2 * np.diag(cm), denominator, out=np.zeros(k), where=denominator > 0)
    return float(np.mean(f1[:n_average]))


def _micro_f1_from_counts(counts: np.ndarray) -> float:
    """Micro-F1 from per-document (true positive, false positive, false negative) counts."""
    tp, fp, fn = counts.sum(axis=0)
    return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 0.0


def stance_metrics(
    y_true: list[str], y_pred: list[str], labels: list[str], *, n_bootstrap: int = 0, random_state: int = 0
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix.

    With ``n_bootstrap`` > 0, also 95 % bootstrap intervals of accuracy and macro-F1 over the
    documents (``"accuracy_ci"``, ``"macro_f1_ci"``), from :func:`bootstrap_interval`.
    """
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0.0)
    out = {
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
    if n_bootstrap and len(y_true):
        code = {label: i for i, label in enumerate(labels)}
        # A predicted label outside ``labels`` gets a code of its own, so it counts as wrong.
        for label in [*y_true, *y_pred]:
            code.setdefault(label, len(code))
        t = np.array([code[y] for y in y_true])
        q = np.array([code[y] for y in y_pred])
        k = len(code)
        kw = {"n_bootstrap": n_bootstrap, "random_state": random_state}
        out["accuracy_ci"] = list(bootstrap_interval(lambda i: float(np.mean(t[i] == q[i])), len(t), **kw))
        # Macro-F1 averages over ``labels`` only, as above.
        n_labels = len(labels)
        out["macro_f1_ci"] = list(
            bootstrap_interval(lambda i: _macro_f1_from_codes(t[i], q[i], k, n_labels), len(t), **kw)
        )
    return out


def frame_metrics(
    true_sets: list[list[str]],
    pred_sets: list[list[str]],
    frames: list[str],
    true_primary: list[str | None] | None = None,
    pred_primary: list[str | None] | None = None,
    *,
    n_bootstrap: int = 0,
    random_state: int = 0,
) -> dict[str, Any]:
    """Micro- and macro-F1 over frames, per-frame F1 and support, and primary-frame accuracy.

    With ``n_bootstrap`` > 0, also a 95 % bootstrap interval of the micro-F1 over the documents
    (``"micro_f1_ci"``), from :func:`bootstrap_interval`.
    """
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
    if n_bootstrap and len(true_sets):
        counts = np.column_stack([(Y & P).sum(axis=1), (P & (1 - Y)).sum(axis=1), (Y & (1 - P)).sum(axis=1)])
        out["micro_f1_ci"] = list(
            bootstrap_interval(
                lambda i: _micro_f1_from_counts(counts[i]),
                len(counts),
                n_bootstrap=n_bootstrap,
                random_state=random_state,
            )
        )
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


def evaluate(analyzer: Any, corpus: Corpus, *, n_bootstrap: int = N_BOOTSTRAP, random_state: int = 0) -> dict[str, Any]:
    """Score ``corpus`` with ``analyzer`` and compare with its labels.

    Topics of the corpus that the analyzer lacks (and the reverse) are skipped and listed under
    ``"skipped_topics"``; texts without a label for a topic are left out of that topic.

    Parameters
    ----------
    analyzer : Analyzer
        The models.
    corpus : Corpus
        The labelled texts.
    n_bootstrap : int, default=1000
        Resamples of the documents for the 95 % intervals of accuracy, macro-F1 and frame
        micro-F1 (``"..._ci"`` keys); 0 for none. A figure from a few hundred documents moves by
        several points between samples: the interval says how far.
    random_state : int, default=0
        Seed of the resampling.

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
        report["topics"][topic] = stance_metrics(
            [g for g, _ in pairs], [p for _, p in pairs], labels, n_bootstrap=n_bootstrap, random_state=random_state
        )
    if corpus.frames is not None and analyzer.frame_model is not None:
        rows = [i for i, fs in enumerate(corpus.frames) if fs]
        report["frames"] = frame_metrics(
            [corpus.frames[i] for i in rows],
            [results[i].frames.labels for i in rows],
            analyzer.frames,
            [corpus.primary[i] for i in rows] if corpus.primary is not None else None,
            [results[i].frames.primary for i in rows],
            n_bootstrap=n_bootstrap,
            random_state=random_state,
        )
    return report


def format_report(report: dict[str, Any]) -> str:
    """Render an :func:`evaluate` report as a readable plain-text table."""
    lines = [f"documents: {report['n_documents']}"]
    for topic, m in report["topics"].items():
        lines += [
            "",
            f"topic {topic}  (n={m['n']})  accuracy {m['accuracy']:.3f}{_ci(m, 'accuracy_ci')}  "
            f"macro-F1 {m['macro_f1']:.3f}{_ci(m, 'macro_f1_ci')}",
        ]
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
        lines += [
            "",
            f"frames  (n={f['n']})  micro-F1 {f['micro_f1']:.3f}{_ci(f, 'micro_f1_ci')}  macro-F1 {f['macro_f1']:.3f}",
        ]
        if "primary_accuracy" in f:
            lines[-1] += f"  primary accuracy {f['primary_accuracy']:.3f}"
        lines.append(f"  {'frame':<42}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
        for name, c in f["per_frame"].items():
            lines.append(f"  {name:<42}{c['precision']:>10.3f}{c['recall']:>10.3f}{c['f1']:>10.3f}{c['support']:>9d}")
    if any("macro_f1_ci" in m for m in report["topics"].values()) or (f and "micro_f1_ci" in f):
        lines += ["", "[low, high]: 95 % bootstrap interval over the documents."]
    if report.get("skipped_topics"):
        lines += ["", "topics in the corpus but not in the model (skipped): " + ", ".join(report["skipped_topics"])]
    return "\n".join(lines)


def _ci(metrics: dict[str, Any], key: str) -> str:
    return f" [{metrics[key][0]:.3f}, {metrics[key][1]:.3f}]" if key in metrics else ""
