"""Rebuild the bundled models in ``models/`` from the authored corpus in ``data/``.

    python scripts/train_bundled.py            # grid search, train, evaluate, save, write the model card tables
    python scripts/train_bundled.py --no-search  # reuse the parameters recorded in models/metrics.json

Steps, all deterministic for a given corpus and ``--seed``:

1. Read ``data/corpus.jsonl`` and the fixed deal-grouped splits in ``data/splits.json`` (made once
   with ``--resplit``; no deal is in two splits; a deal added later joins a split by a stable
   hash of its name, so existing passages never move).
2. Choose hyper-parameters by 5-fold GroupKFold (groups = deals) on train+dev only.
3. Train on train+dev with the chosen parameters and evaluate on the test split, next to two
   baselines: the majority class, and a bare scikit-learn ``TfidfVectorizer() +
   LogisticRegression()`` with default settings.
4. Measure calibration on the test split (Brier score, expected calibration error) and draw a
   reliability plot (``models/reliability.png``, needs matplotlib).
5. Save ``models/framing-bundled.joblib`` with its manifest, ``models/metrics.json``, and the
   metrics tables between the markers of ``models/MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import framing  # noqa: E402
from framing.analyzer import DEFAULT_PARAMS  # noqa: E402
from framing.evaluation import bootstrap_interval, evaluate, frame_metrics, stance_metrics  # noqa: E402
from framing.features import build_vectorizer  # noqa: E402
from framing.models import FrameClassifier, StanceClassifier, frames_to_indicator  # noqa: E402

CORPUS = ROOT / "data" / "corpus.jsonl"
SPLITS = ROOT / "data" / "splits.json"
MODELS = ROOT / "models"
MODEL_FILE = MODELS / "framing-bundled.joblib"
METRICS_FILE = MODELS / "metrics.json"
CARD = MODELS / "MODEL_CARD.md"
SHARES = {"train": 0.70, "dev": 0.15, "test": 0.15}

FEATURE_GRID = [
    {"ngram_range": (1, 2), "min_df": 2, "max_df": 0.9, "stem": True},
    {"ngram_range": (1, 2), "min_df": 2, "max_df": 0.9, "stem": False},
    {"ngram_range": (1, 1), "min_df": 2, "max_df": 0.9, "stem": True},
    {"ngram_range": (1, 3), "min_df": 2, "max_df": 0.9, "stem": True},
    {"ngram_range": (1, 2), "min_df": 1, "max_df": 0.9, "stem": True},
]
C_GRID = [1.0, 3.0, 10.0, 30.0, 100.0]


def deals_of(corpus: framing.Corpus) -> list[str]:
    """The deal of each passage (the grouping unit of the splits)."""
    return [str(extra.get("deal", corpus.ids[i])) for i, extra in enumerate(corpus.extra)]


def make_splits(deals: list[str], seed: int) -> dict[str, str]:
    """Assign whole deals to train/dev/test so that passage counts approach 70/15/15."""
    sizes = Counter(deals)
    order = sorted(sizes)
    random.Random(seed).shuffle(order)
    total = sum(sizes.values())
    assigned: dict[str, str] = {}
    counts = dict.fromkeys(SHARES, 0)
    for deal in order:
        # Give the deal to the split furthest below its target share.
        split = min(SHARES, key=lambda s: (counts[s] / total) - SHARES[s])
        assigned[deal] = split
        counts[split] += sizes[deal]
    return dict(sorted(assigned.items()))


def load_splits(deals: list[str], seed: int, resplit: bool) -> dict[str, str]:
    if resplit or not SPLITS.exists():
        mapping = make_splits(deals, seed)
        SPLITS.write_text(json.dumps({"seed": seed, "deals": mapping}, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {SPLITS.relative_to(ROOT)}")
    stored = json.loads(SPLITS.read_text(encoding="utf-8"))
    mapping = stored["deals"]
    new = sorted(set(deals) - set(mapping))
    if new:
        # Deals added after the split was made join a split by a stable hash of their name, so
        # that no existing passage changes split and the test set only ever grows.
        for deal in new:
            bucket = int(hashlib.sha256(deal.encode("utf-8")).hexdigest(), 16) % 100
            mapping[deal] = "train" if bucket < 70 else "dev" if bucket < 85 else "test"
        stored["deals"] = dict(sorted(mapping.items()))
        SPLITS.write_text(json.dumps(stored, indent=1) + "\n", encoding="utf-8")
        print(f"assigned {len(new)} new deals in {SPLITS.relative_to(ROOT)}")
    return mapping


def _fold_scores(corpus: framing.Corpus, train: np.ndarray, test: np.ndarray, feats: dict, seed: int) -> dict:
    """Scores of every C on one fold for one feature setting (the vectoriser is fitted once)."""
    params = {**DEFAULT_PARAMS["features"], **feats}
    vectorizer = build_vectorizer(**params)
    Xtr = vectorizer.fit_transform([corpus.texts[i] for i in train])
    Xte = vectorizer.transform([corpus.texts[i] for i in test])
    out: dict[str, dict[float, float]] = {}
    for topic, labels in corpus.stance.items():
        ytr = [labels[i] for i in train]
        yte = [labels[i] for i in test]
        out[topic] = {}
        for C in C_GRID:
            model = StanceClassifier(C=C, random_state=seed).fit_features(Xtr, ytr)
            pred = model.classes_[np.argmax(model.proba_from_features(Xte), axis=1)]
            out[topic][C] = f1_score(yte, pred, average="macro")
    names = sorted({f for fs in corpus.frames for f in fs})
    Ytr, _ = frames_to_indicator([corpus.frames[i] for i in train], names)
    Yte, _ = frames_to_indicator([corpus.frames[i] for i in test], names)
    out["frames"] = {}
    for C in C_GRID:
        fm = FrameClassifier(C=C, labels=names, random_state=seed).fit_features(Xtr, Ytr, names=names)
        pred = (fm.proba_from_features(Xte) >= fm.thresholds_).astype(int)
        out["frames"][C] = f1_score(Yte, pred, average="micro")
    return out


def grid_search(corpus: framing.Corpus, groups: list[str], seed: int) -> dict[str, Any]:
    """Grouped 5-fold CV over feature settings and per-model C; returns the best and the table."""
    folds = list(GroupKFold(n_splits=5).split(corpus.texts, groups=groups))
    jobs = list(itertools.product(range(len(FEATURE_GRID)), range(len(folds))))
    results = Parallel(n_jobs=-1)(
        delayed(_fold_scores)(corpus, folds[k][0], folds[k][1], FEATURE_GRID[f], seed) for f, k in jobs
    )
    table: dict[int, dict[str, dict[float, list[float]]]] = {}
    for (f, _), res in zip(jobs, results):
        for head, by_c in res.items():
            for C, score in by_c.items():
                table.setdefault(f, {}).setdefault(head, {}).setdefault(C, []).append(score)
    heads = [*corpus.stance, "frames"]
    best = None
    rows = []
    for f, per_head in table.items():
        chosen = {h: max(C_GRID, key=lambda c, h=h: np.mean(per_head[h][c])) for h in heads}
        means = {h: float(np.mean(per_head[h][chosen[h]])) for h in heads}
        overall = float(np.mean(list(means.values())))
        rows.append({"features": _plain(FEATURE_GRID[f]), "C": chosen, "cv": means, "mean": overall})
        if best is None or overall > best["mean"]:
            best = rows[-1]
    assert best is not None
    # The bare baselines on the same folds: a comparison less at the mercy of one test split.
    bare = Parallel(n_jobs=-1)(delayed(_bare_fold_scores)(corpus, tr, te) for tr, te in folds)
    bare_cv = {h: float(np.mean([b[h] for b in bare])) for h in heads}
    return {"best": best, "table": rows, "bare_cv": bare_cv}


def _bare_stance(train_texts: list[str], y: list, test_texts: list[str]) -> list:
    """The bare scikit-learn stance baseline: ``TfidfVectorizer()`` + ``LogisticRegression()``, defaults."""
    vectorizer = TfidfVectorizer()
    model = LogisticRegression().fit(vectorizer.fit_transform(train_texts), y)
    return list(model.predict(vectorizer.transform(test_texts)))


def _bare_frames(train_texts: list[str], Ytr: np.ndarray, test_texts: list[str]) -> np.ndarray:
    """The bare frame baseline: one default ``LogisticRegression()`` per frame on ``TfidfVectorizer()``."""
    vectorizer = TfidfVectorizer()
    Xtr, Xte = vectorizer.fit_transform(train_texts), vectorizer.transform(test_texts)
    preds = np.zeros((len(test_texts), Ytr.shape[1]), dtype=int)
    for j in range(Ytr.shape[1]):
        if 0 < Ytr[:, j].sum() < len(Ytr):
            preds[:, j] = LogisticRegression().fit(Xtr, Ytr[:, j]).predict(Xte)
    return preds


def _bare_fold_scores(corpus: framing.Corpus, train: np.ndarray, test: np.ndarray) -> dict[str, float]:
    """The bare baselines' scores on one cross-validation fold (same metrics as the grid)."""
    tr_texts, te_texts = [corpus.texts[i] for i in train], [corpus.texts[i] for i in test]
    out = {}
    for topic, labels in corpus.stance.items():
        pred = _bare_stance(tr_texts, [labels[i] for i in train], te_texts)
        out[topic] = f1_score([labels[i] for i in test], pred, average="macro")
    names = sorted({f for fs in corpus.frames for f in fs})
    Y, _ = frames_to_indicator(corpus.frames, names)
    out["frames"] = f1_score(Y[test], _bare_frames(tr_texts, Y[train], te_texts), average="micro")
    return out


def _paired_difference(score: Any, n: int) -> dict[str, Any]:
    """framing minus bare on the test split, with a paired 95 % bootstrap interval over the passages.

    ``score(indices, which)`` is the metric of model ``which`` ("framing" or "bare") on those
    passages; both models are scored on the same resample, so the interval is of the difference.
    """
    low, high = bootstrap_interval(lambda i: score(i, "framing") - score(i, "bare"), n)
    everything = np.arange(n)
    return {"difference": score(everything, "framing") - score(everything, "bare"), "ci": [low, high]}


def baselines(train: framing.Corpus, test: framing.Corpus, analyzer: framing.Analyzer) -> dict[str, Any]:
    """Majority class and bare scikit-learn defaults, per topic and for frames, and framing's lead over bare."""
    results = analyzer.score_many(test.texts)
    out: dict[str, Any] = {}
    for topic in train.stance:
        ytr, yte = train.stance[topic], test.stance[topic]
        labels = sorted(set(ytr) | set(yte))
        majority = Counter(ytr).most_common(1)[0][0]
        predicted = {
            "bare": np.asarray(_bare_stance(train.texts, ytr, test.texts), dtype=object),
            "framing": np.asarray([r.stance[topic].label for r in results], dtype=object),
        }
        gold = np.asarray(yte, dtype=object)

        def macro_f1(
            i: np.ndarray, which: str, gold: np.ndarray = gold, predicted: dict = predicted, labels: list = labels
        ) -> float:
            return f1_score(gold[i], predicted[which][i], labels=labels, average="macro", zero_division=0.0)

        out[topic] = {
            "majority": stance_metrics(yte, [majority] * len(yte), labels),
            "bare_sklearn": stance_metrics(yte, list(predicted["bare"]), labels),
            "framing_minus_bare": _paired_difference(macro_f1, len(yte)),
        }
    names = sorted({f for fs in train.frames for f in fs})
    Ytr, _ = frames_to_indicator(train.frames, names)
    Yte, _ = frames_to_indicator(test.frames, names)
    preds = _bare_frames(train.texts, Ytr, test.texts)
    bare_sets = [[names[j] for j in np.flatnonzero(row)] for row in preds]
    ours, _ = frames_to_indicator([r.frames.labels for r in results], names)
    frame_preds = {"bare": preds, "framing": ours}

    def micro_f1(i: np.ndarray, which: str) -> float:
        return f1_score(Yte[i], frame_preds[which][i], average="micro", zero_division=0.0)

    common = Counter(f for fs in train.frames for f in fs).most_common(1)[0][0]
    out["frames"] = {
        "majority": frame_metrics(test.frames, [[common]] * len(test), names),
        "bare_sklearn": frame_metrics(test.frames, bare_sets, names),
        "framing_minus_bare": _paired_difference(micro_f1, len(test)),
    }
    return out


def calibration(analyzer: framing.Analyzer, test: framing.Corpus, plot: Path | None) -> dict[str, Any]:
    """Multi-class Brier score and expected calibration error (10 bins, top label) per topic."""
    results = analyzer.score_many(test.texts)
    out: dict[str, Any] = {}
    curves = {}
    for topic, gold in test.stance.items():
        classes = list(analyzer.stance_models[topic].classes_)
        P = np.array([[r.stance[topic].probabilities[c] for c in classes] for r in results])
        Y = np.array([[g == c for c in classes] for g in gold], dtype=float)
        brier = float(np.mean(np.sum((P - Y) ** 2, axis=1)))
        conf = P.max(axis=1)
        correct = (P.argmax(axis=1) == Y.argmax(axis=1)).astype(float)
        bins = np.minimum((conf * 10).astype(int), 9)
        ece = 0.0
        curve = []
        for b in range(10):
            mask = bins == b
            if mask.any():
                ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
                curve.append((float(conf[mask].mean()), float(correct[mask].mean()), int(mask.sum())))
        out[topic] = {"brier": brier, "ece": float(ece), "bins": curve}
        curves[topic] = curve
    if plot is not None:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib not installed: no reliability plot (pip install 'framing[notebook]')")
        else:
            fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=110)
            ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="perfect calibration")
            for topic, curve in curves.items():
                ax.plot([c[0] for c in curve], [c[1] for c in curve], marker="o", label=topic)
            ax.set_xlabel("confidence of the predicted label")
            ax.set_ylabel("share correct")
            ax.set_title("Reliability on the test split")
            ax.legend(loc="upper left", fontsize=8)
            fig.tight_layout()
            fig.savefig(plot)
            plt.close(fig)
    return out


def uncalibrated(analyzer: framing.Analyzer, test: framing.Corpus) -> dict[str, Any]:
    """Calibration figures of the same models without their fitted temperatures."""
    saved = {t: m.temperature_ for t, m in analyzer.stance_models.items()}
    try:
        for model in analyzer.stance_models.values():
            model.temperature_ = 1.0
        return calibration(analyzer, test, None)
    finally:
        for topic, model in analyzer.stance_models.items():
            model.temperature_ = saved[topic]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


def card_tables(metrics: dict[str, Any]) -> str:
    """The generated part of the model card: test-split tables."""
    ev = metrics["test"]
    lines = [
        f"Test split: {ev['n_documents']} passages from {metrics['splits']['test']['deals']} deal groups (arms deals, and the subjects "
        "of off-topic passages) never seen in training. "
        f"Trained on train+dev ({metrics['splits']['train']['passages'] + metrics['splits']['dev']['passages']} passages).",
        "",
        "| topic | model macro-F1 (95 % CI) | accuracy | bare scikit-learn macro-F1 | framing - bare (95 % CI) | "
        "majority macro-F1 | Brier | ECE | Brier, ECE without calibration | temperature |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for topic, m in ev["topics"].items():
        b = metrics["baselines"][topic]
        c = metrics["calibration"][topic]
        u = metrics["calibration_uncalibrated"][topic]
        lines.append(
            f"| {topic} | **{m['macro_f1']:.3f}**{_interval(m.get('macro_f1_ci'))} | {m['accuracy']:.3f} | "
            f"{b['bare_sklearn']['macro_f1']:.3f} | {_lead(b)} | {b['majority']['macro_f1']:.3f} | {c['brier']:.3f} | "
            f"{c['ece']:.3f} | {u['brier']:.3f}, {u['ece']:.3f} | {metrics['temperatures'][topic]:.2f} |"
        )
    f = ev["frames"]
    b = metrics["baselines"]["frames"]
    lines += [
        "",
        f"Frames: micro-F1 **{f['micro_f1']:.3f}**{_interval(f.get('micro_f1_ci'))}, macro-F1 {f['macro_f1']:.3f}, "
        f"primary-frame accuracy {f.get('primary_accuracy', float('nan')):.3f} (bare scikit-learn micro-F1 "
        f"{b['bare_sklearn']['micro_f1']:.3f}, framing - bare {_lead(b)}, macro-F1 {b['bare_sklearn']['macro_f1']:.3f}; "
        f"always-the-commonest-frame micro-F1 {b['majority']['micro_f1']:.3f}).",
        "",
        "Intervals: 95 % bootstrap over the test passages (1,000 resamples); framing - bare is paired (both "
        "models scored on each resample).",
    ]
    for topic, m in ev["topics"].items():
        lines += [
            "",
            f"**{topic}** per class (test split)",
            "",
            "| label | precision | recall | F1 | support |",
            "| --- | --- | --- | --- | --- |",
        ]
        for label, c in m["per_class"].items():
            lines.append(f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
        lines += ["", "Confusion matrix (rows true, columns predicted): " + ", ".join(m["labels"]), ""]
        lines.append("| | " + " | ".join(m["labels"]) + " |")
        lines.append("| --- |" + " --- |" * len(m["labels"]))
        for label, row in zip(m["labels"], m["confusion_matrix"]):
            lines.append(f"| **{label}** | " + " | ".join(str(v) for v in row) + " |")
    lines += [
        "",
        "**Frames** per frame (test split)",
        "",
        "| frame | precision | recall | F1 | support |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, c in f["per_frame"].items():
        lines.append(f"| {name} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
    best = metrics["search"]["best"]
    lines += [
        "",
        f"Chosen by grouped 5-fold CV on train+dev: features {json.dumps(best['features'])}, C per model "
        f"{json.dumps(best['C'])}; CV scores {json.dumps({k: round(v, 3) for k, v in best['cv'].items()})}.",
    ]
    if "bare_cv" in metrics["search"]:
        bare_cv = {k: round(v, 3) for k, v in metrics["search"]["bare_cv"].items()}
        lines.append(f"The bare scikit-learn baselines on the same folds: {json.dumps(bare_cv)}.")
    return "\n".join(lines)


def _interval(ci: list[float] | None) -> str:
    return f" ({ci[0]:.3f}-{ci[1]:.3f})" if ci else ""


def _lead(baseline: dict[str, Any]) -> str:
    lead = baseline.get("framing_minus_bare")
    if lead is None:
        return "n/a"
    return f"{lead['difference']:+.3f} ({lead['ci'][0]:+.3f} to {lead['ci'][1]:+.3f})"


def write_card(tables: str) -> None:
    start, end = "<!-- metrics:start -->", "<!-- metrics:end -->"
    text = CARD.read_text(encoding="utf-8") if CARD.exists() else f"# Model card\n\n{start}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    CARD.write_text(f"{head}{start}\n{tables}\n{end}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--resplit", action="store_true", help="make new deal-grouped splits (changes data/splits.json)"
    )
    parser.add_argument("--no-search", action="store_true", help="reuse the parameters in models/metrics.json")
    args = parser.parse_args(argv)

    corpus = framing.read_corpus(CORPUS)
    deals = deals_of(corpus)
    mapping = load_splits(deals, args.seed, args.resplit)
    split_of = [mapping[d] for d in deals]
    trainval_idx = [i for i, s in enumerate(split_of) if s != "test"]
    test_idx = [i for i, s in enumerate(split_of) if s == "test"]
    trainval, test = corpus.subset(trainval_idx), corpus.subset(test_idx)
    # A name relative to the repository, so that the model file does not depend on where the
    # checkout lives (the same data and seed give the same bytes on any machine).
    trainval.source = "data/corpus.jsonl (train+dev splits)"
    test.source = "data/corpus.jsonl (test split)"
    splits_info = {
        s: {"passages": split_of.count(s), "deals": len({d for d, x in zip(deals, split_of) if x == s})} for s in SHARES
    }
    print(f"corpus {len(corpus)} passages; splits {splits_info}")

    if args.no_search and METRICS_FILE.exists():
        search = json.loads(METRICS_FILE.read_text(encoding="utf-8"))["search"]
    else:
        search = grid_search(trainval, [deals[i] for i in trainval_idx], args.seed)
    best = search["best"]
    print(f"chosen: {best['features']} C={best['C']} cv={best['cv']}")
    params = {
        "features": {k: tuple(v) if isinstance(v, list) else v for k, v in best["features"].items()},
        "stance": {},
        "topics": {topic: {"C": best["C"][topic]} for topic in corpus.stance},
        "frames": {"C": best["C"]["frames"]},
    }
    analyzer = framing.train(trainval, params=params, random_state=args.seed)

    report = evaluate(analyzer, test)
    metrics = {
        "splits": splits_info,
        "search": search,
        "test": report,
        "baselines": baselines(trainval, test, analyzer),
        "calibration": calibration(analyzer, test, MODELS / "reliability.png"),
        "calibration_uncalibrated": uncalibrated(analyzer, test),
        "temperatures": {t: m.temperature_ for t, m in analyzer.stance_models.items()},
    }
    summary = {f"{t}_macro_f1": m["macro_f1"] for t, m in report["topics"].items()}
    summary["frames_micro_f1"] = report["frames"]["micro_f1"]
    summary["frames_macro_f1"] = report["frames"]["macro_f1"]
    analyzer.info["metrics"] = summary
    framing.save(
        analyzer,
        MODEL_FILE,
        metrics={"test_split": summary, "split": "deal-grouped test split, see models/MODEL_CARD.md"},
    )
    METRICS_FILE.write_text(json.dumps(_plain(metrics), indent=1) + "\n", encoding="utf-8")
    write_card(card_tables(metrics))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
