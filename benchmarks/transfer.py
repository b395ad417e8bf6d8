"""Transfer to real writing: the bundled frame model, unchanged, on FrAC's op-ed and comment sentences.

The bundled model is trained only on the project's authored passages about arms transfers. FrAC
(Guida et al. 2025) holds 523 real sentences from Globe and Mail opinion articles and reader
comments on other subjects, each with one gold frame from the Media Frames codebook, merged into
ten categories. This benchmark trains nothing on FrAC: it asks how well the frames learnt from our
corpus carry over to other authors, other subjects and single sentences.

FrAC merges some of our frames, so a category's score is the highest probability among the
frames it merges (legality + crime_and_punishment; political + policy_prescription). Sentences
labelled ``other`` (no frame) are left out; so are our frames FrAC has no category for
(capacity_and_resources, quality_of_life, external_regulation_and_reputation). Two rows:

- ``framing (bundled)``: the bundled model file, exactly as users get it.
- ``bare scikit-learn``: ``TfidfVectorizer()`` + one ``LogisticRegression()`` per frame, default
  settings, trained on the same passages (train + dev splits), scored the same way. Unweighted,
  its rare frames rarely reach a high probability, so its top category is usually a common one.

    python benchmarks/transfer.py           # seconds
    python benchmarks/transfer.py --smoke   # the first 150 sentences (CI)
"""

from __future__ import annotations

import argparse
import hashlib
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from _common import REPO, passage_splits, require_data, table, write_results
from frac import FILE, read_frac
from sklearn.metrics import accuracy_score, f1_score

import framing
from framing.models import frames_to_indicator

# FrAC category -> the bundled frames it merges.
CATEGORIES = {
    "economic": ["economic"],
    "morality": ["morality"],
    "fairness_and_equality": ["fairness_and_equality"],
    "legality_and_crime": ["legality_constitutionality_jurisprudence", "crime_and_punishment"],
    "political_and_policies": ["political", "policy_prescription_and_evaluation"],
    "security_and_defense": ["security_and_defense"],
    "health_and_safety": ["health_and_safety"],
    "cultural_identity": ["cultural_identity"],
    "public_opinion": ["public_opinion"],
}


def category_scores(proba: np.ndarray, frames: list[str]) -> np.ndarray:
    """Per-category scores (n, 9): the highest probability among each category's frames."""
    return np.column_stack([proba[:, [frames.index(f) for f in merged]].max(axis=1) for merged in CATEGORIES.values()])


def evaluate(gold: list[str], scores: np.ndarray) -> dict:
    """Accuracy and macro-F1 of the top category, per-category F1."""
    names = list(CATEGORIES)
    pred = [names[k] for k in scores.argmax(axis=1)]
    per = f1_score(gold, pred, labels=names, average=None, zero_division=0.0)
    return {
        "accuracy": 100 * accuracy_score(gold, pred),
        "macro_f1": 100 * f1_score(gold, pred, labels=names, average="macro", zero_division=0.0),
        "per_category_f1": {n: round(100 * float(v), 2) for n, v in zip(names, per)},
    }


def bare_scores(texts: list[str]) -> np.ndarray:
    """The bare scikit-learn frame model trained on the corpus's train + dev passages."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    corpus = framing.read_corpus(REPO / "data" / "corpus.jsonl")
    train = corpus.subset([i for i, split in enumerate(passage_splits(corpus)) if split != "test"])
    names = sorted({f for fs in train.frames or [] for f in fs})
    Y, _ = frames_to_indicator(train.frames, names)
    vectorizer = TfidfVectorizer()
    X = vectorizer.fit_transform(train.texts)
    Xf = vectorizer.transform(texts)
    proba = np.column_stack([LogisticRegression().fit(X, Y[:, j]).predict_proba(Xf)[:, 1] for j in range(len(names))])
    return category_scores(proba, names)


def main() -> None:
    """Run the benchmark and write ``benchmarks/results/transfer.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="the first 150 sentences (CI)")
    parser.add_argument("--model", default=str(REPO / "models" / "framing-bundled.joblib"), help="model file")
    args = parser.parse_args()
    folder = require_data("frac", [FILE])
    warnings.filterwarnings("ignore", category=UserWarning)

    texts, labels = read_frac(folder / FILE)
    keep = [i for i, label in enumerate(labels) if label in CATEGORIES]
    texts, gold = [texts[i] for i in keep], [labels[i] for i in keep]
    if args.smoke:
        texts, gold = texts[:150], gold[:150]

    analyzer = framing.load(args.model)
    proba = analyzer.frame_model.proba_from_features(analyzer.featurize(texts))
    ours = evaluate(gold, category_scores(proba, analyzer.frames))
    bare = evaluate(gold, bare_scores(texts))
    majority_label = Counter(gold).most_common(1)[0][0]
    majority = evaluate(gold, np.array([[float(c == majority_label) for c in CATEGORIES]] * len(gold)))

    rows = [
        ["framing (bundled)", ours["accuracy"], ours["macro_f1"]],
        ["bare scikit-learn, same passages", bare["accuracy"], bare["macro_f1"]],
        [f"majority ({majority_label})", majority["accuracy"], majority["macro_f1"]],
    ]
    print(f"FrAC, {len(texts)} sentences in {len(CATEGORIES)} categories; zero-shot (nothing trained on FrAC)\n")
    print(table(["model", "accuracy", "macro-F1"], rows))
    print("\nper-category F1 (bundled vs bare):")
    print(
        table(
            ["category", "sentences", "framing", "bare"],
            [[c, Counter(gold)[c], ours["per_category_f1"][c], bare["per_category_f1"][c]] for c in CATEGORIES],
        )
    )
    write_results(
        "transfer",
        {
            "n": len(texts),
            "model_sha256": hashlib.sha256(Path(args.model).read_bytes()).hexdigest(),
            "framing": ours,
            "bare_sklearn": bare,
            "majority": majority,
        },
        args.smoke,
    )


if __name__ == "__main__":
    main()
