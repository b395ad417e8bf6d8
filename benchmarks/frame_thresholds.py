"""Frame thresholds: tuned per frame, or refined jointly for micro-F1, on the project's dev split.

    python benchmarks/frame_thresholds.py          # C in 10, 30, 100 (about a minute)
    python benchmarks/frame_thresholds.py --smoke  # C = 10 on a quarter of the data (CI)

Trains ``FrameClassifier`` on the train split of ``data/corpus.jsonl`` (deal-grouped, as in
``data/splits.json``) with the bundled model's word features, and reports micro-F1 on the dev
split for ``threshold="tuned_per_frame"`` (each frame's own F1), ``"tuned"`` (the default: those
thresholds refined jointly for micro-F1) and a fixed 0.5. The test split is never read.
"""

from __future__ import annotations

import argparse

from _common import REPO, passage_splits, table, write_results
from sklearn.metrics import f1_score

import framing
from framing.features import build_vectorizer
from framing.models import FrameClassifier, frames_to_indicator

FEATURES = {"ngram_range": (1, 2), "min_df": 2, "max_df": 0.9, "stem": True}


def main() -> None:
    """Run the comparison and write ``benchmarks/results/frame_thresholds.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="C = 10 on a quarter of the data")
    args = parser.parse_args()
    corpus = framing.read_corpus(REPO / "data" / "corpus.jsonl")
    split = passage_splits(corpus)
    step = 4 if args.smoke else 1
    train = corpus.subset([i for i, s in enumerate(split) if s == "train"][::step])
    dev = corpus.subset([i for i, s in enumerate(split) if s == "dev"][::step])
    names = sorted({f for fs in corpus.frames or [] for f in fs})
    Y_train, _ = frames_to_indicator(train.frames, names)
    Y_dev, _ = frames_to_indicator(dev.frames, names)
    vectorizer = build_vectorizer(**FEATURES)
    X_train, X_dev = vectorizer.fit_transform(train.texts), vectorizer.transform(dev.texts)
    rows = []
    for C in [10.0] if args.smoke else [10.0, 30.0, 100.0]:
        row = {"C": C}
        for threshold in ("tuned_per_frame", "tuned", 0.5):
            model = FrameClassifier(C=C, threshold=threshold, labels=names, random_state=0)
            model.fit_features(X_train, Y_train, names=names)
            predicted = model.proba_from_features(X_dev) >= model.thresholds_
            row[str(threshold)] = round(100 * f1_score(Y_dev, predicted, average="micro"), 2)
        rows.append(row)
    print(f"train {len(train)} passages, dev {len(dev)} passages; frame micro-F1 on dev (x100)\n")
    print(
        table(["C", "tuned per frame", "tuned for micro-F1 (default)", "fixed 0.5"], [list(r.values()) for r in rows])
    )
    write_results("frame_thresholds", {"n_train": len(train), "n_dev": len(dev), "rows": rows}, args.smoke)


if __name__ == "__main__":
    main()
