"""GVFC: frames of U.S. gun-violence news headlines (9 issue-specific frames).

The relevant, framed headlines of the derived CSV (``Q1 Relevant == 1`` and ``Q3 Theme1 != 99``,
1,301 headlines) are classified with :class:`framing.FrameClassifier` (default settings) under
5-fold cross-validation stratified on Theme1. Reported: accuracy and macro-F1 of the predicted
primary frame against Theme1, first trained on Theme1 alone, then with Theme2 (when coded) as a
secondary frame of the same headline.

    python benchmarks/gvfc.py           # full run, under a minute
    python benchmarks/gvfc.py --smoke   # 3 folds on a 300-headline subset (CI)
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings

from _common import cv_primary_frame, require_data, table, write_results

FILE = "GVFC_headlines_and_annotations.derived.csv"

# Theme codes from the GVFC codebook (SOURCE.md).
THEMES = {
    "1": "gun_rights",
    "2": "gun_control",
    "3": "politics",
    "4": "mental_health",
    "5": "public_space_safety",
    "6": "race_ethnicity",
    "7": "public_opinion",
    "8": "society_culture",
    "9": "economic",
}


def read_gvfc(path) -> tuple[list[str], list[str], list[str | None]]:
    """Headlines, Theme1 and Theme2 (``None`` when absent or equal to Theme1) of relevant, framed rows."""
    texts, theme1, theme2 = [], [], []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Q1 Relevant"].strip() != "1" or row["Q3 Theme1"].strip() in ("99", ""):
                continue
            first = THEMES[row["Q3 Theme1"].strip()]
            second = THEMES.get(row["Q3 Theme2"].strip())
            texts.append(row["news_title"])
            theme1.append(first)
            theme2.append(second if second != first else None)
    return texts, theme1, theme2


def main() -> None:
    """Run the benchmark and write ``benchmarks/results/gvfc.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small subset and 3 folds, seconds (CI)")
    args = parser.parse_args()
    folder = require_data("gvfc", [FILE])
    warnings.filterwarnings("ignore", category=UserWarning)

    texts, theme1, theme2 = read_gvfc(folder / FILE)
    folds = 5
    if args.smoke:
        texts, theme1, theme2, folds = texts[:300], theme1[:300], theme2[:300], 3
    print(f"GVFC: {len(texts)} relevant, framed headlines; {sum(t is not None for t in theme2)} with a second theme")

    t0 = time.perf_counter()
    single = cv_primary_frame(texts, [[a] for a in theme1], theme1, folds=folds)
    single["seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    both = cv_primary_frame(texts, [[a] + ([b] if b else []) for a, b in zip(theme1, theme2)], theme1, folds=folds)
    both["seconds"] = time.perf_counter() - t0

    print()
    print(
        table(
            ["training labels", "primary acc.", "primary macro-F1", "frame-set micro-F1", "majority acc."],
            [
                [
                    "Theme1 only",
                    100 * single["accuracy"],
                    100 * single["macro_f1"],
                    100 * single["frame_set_micro_f1"],
                    100 * single["majority_accuracy"],
                ],
                [
                    "Theme1 + Theme2 (secondary)",
                    100 * both["accuracy"],
                    100 * both["macro_f1"],
                    100 * both["frame_set_micro_f1"],
                    100 * both["majority_accuracy"],
                ],
            ],
        )
    )
    print()
    print(
        table(
            ["frame", "F1 (Theme1 only)", "F1 (Theme1 + Theme2)"],
            [[n, 100 * v, 100 * both["per_frame_f1"][n]] for n, v in single["per_frame_f1"].items()],
        )
    )
    print(
        "\nPublished (SOURCE.md): Liu et al. 2019 report accuracy on their own split; only the abstract's claim "
        "(BERT beats a baseline by 35.9 points of accuracy) was verified, not the values. No like-for-like number."
    )
    results = {
        "data": {
            "file": FILE,
            "n": len(texts),
            "n_with_theme2": sum(t is not None for t in theme2),
            "frames": sorted(set(theme1)),
        },
        "theme1_only": single,
        "theme1_and_theme2": both,
        "published": {
            "note": "No distributed split; Liu et al. (CoNLL 2019, K19-1047) report accuracy on their own split. Only the "
            "abstract's claim (+35.9 points accuracy over a baseline) was verified, not the values."
        },
    }
    write_results("gvfc", results, args.smoke)


if __name__ == "__main__":
    main()
