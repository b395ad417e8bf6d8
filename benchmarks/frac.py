"""FrAC: one gold policy frame per op-ed or comment sentence (523 sentences, 10 frames).

:class:`framing.FrameClassifier` with its default settings, 5-fold stratified cross-validation.
Each sentence's gold frame is given as a one-frame list and as its primary frame; the score is
the accuracy and macro-F1 of ``predict_primary`` on the held-out folds.

    python benchmarks/frac.py           # full run, seconds
    python benchmarks/frac.py --smoke   # 3 folds on a 200-sentence subset (CI)
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings

from _common import cv_primary_frame, require_data, table, write_results

FILE = "gold_standard_single_label_all.csv"

# Media Frames Corpus codebook numbering, as inferred in SOURCE.md (the file stores ids only).
FRAME_NAMES = {
    "1": "economic",
    "3": "morality",
    "4": "fairness_and_equality",
    "5": "legality_and_crime",
    "6": "political_and_policies",
    "8": "security_and_defense",
    "9": "health_and_safety",
    "11": "cultural_identity",
    "12": "public_opinion",
    "15": "other",
}


def read_frac(path) -> tuple[list[str], list[str]]:
    """Sentences and their frame names."""
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["sentence"])
            labels.append(FRAME_NAMES.get(row["label"].strip(), row["label"].strip()))
    return texts, labels


def main() -> None:
    """Run the benchmark and write ``benchmarks/results/frac.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small subset and 3 folds, seconds (CI)")
    args = parser.parse_args()
    folder = require_data("frac", [FILE])
    warnings.filterwarnings("ignore", category=UserWarning)

    texts, labels = read_frac(folder / FILE)
    folds = 5
    if args.smoke:
        texts, labels, folds = texts[:200], labels[:200], 3
    t0 = time.perf_counter()
    cv = cv_primary_frame(texts, [[y] for y in labels], labels, folds=folds)
    cv["seconds"] = time.perf_counter() - t0

    print(
        f"FrAC: {cv['n']} sentences, {len(set(labels))} frames, {folds}-fold stratified CV, FrameClassifier() defaults"
    )
    print()
    print(
        table(
            ["system", "accuracy", "macro-F1", "note"],
            [
                [
                    "framing FrameClassifier() defaults",
                    100 * cv["accuracy"],
                    100 * cv["macro_f1"],
                    "5-fold CV on the 523 gold sentences",
                ],
                ["majority class", 100 * cv["majority_accuracy"], "", cv["majority_class"]],
                [
                    "published: RoBERTa-large (FrAC README)",
                    "",
                    "77 / 83",
                    "articles / comments; trained on 63K sentences, protocol and F1 variant unstated, not comparable",
                ],
            ],
        )
    )
    print()
    print(table(["frame", "F1"], [[n, 100 * v] for n, v in cv["per_frame_f1"].items()]))
    results = {
        "data": {"file": FILE, "n": cv["n"], "frames": sorted(set(labels))},
        "framing_defaults": cv,
        "published": {
            "note": "SOURCE.md: no official split or metric; the README reports RoBERTa-large F1=0.77 (articles), 0.83 (comments), "
            "trained on 63K sentences, F1 variant unstated (not verified). No published TF-IDF/LR baseline.",
            "roberta_large_f1_articles": 77.0,
            "roberta_large_f1_comments": 83.0,
        },
    }
    write_results("frac", results, args.smoke)


if __name__ == "__main__":
    main()
