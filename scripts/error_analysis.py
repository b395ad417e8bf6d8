"""Where the bundled models go wrong on the deal-grouped test split, by kind of passage.

    python scripts/error_analysis.py            # tables, then the confident errors with their ids

Scores the test split of ``data/corpus.jsonl`` (``data/splits.json``) with the bundled model and
breaks the stance errors down by hard-case kind (each passage's ``hard_case`` field) and by
register, counts the errors made with high confidence, and lists every error with its id, gold
and predicted labels and probability, so that the model card's failure modes can cite examples.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import framing  # noqa: E402

KINDS = {
    "irony": "irony",
    "quote_rebut": "quoting the other side, then rejecting it",
    "concession": 'concessions ("jobs, but ...")',
    "deterrence_language_against": "critical texts in deterrence language",
    "none": "ordinary argued passages",
    "off_topic": "other subjects (should be neutral)",
    "rights_language_favor": "favourable texts in human-rights language",
    "economic_or_moral_argument": "economic or moral arguments",
    "both_sides_news": "news quoting both sides",
}
TOPICS = ("arms_sales", "regional_stability")


def _share(errors: int, n: int) -> str:
    return f"{errors} ({errors / n:.0%})" if errors else "0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--confident", type=float, default=0.8, help="probability counted as confident (0.8)")
    args = parser.parse_args(argv)
    corpus = framing.read_corpus(ROOT / "data" / "corpus.jsonl")
    splits = json.loads((ROOT / "data" / "splits.json").read_text(encoding="utf-8"))["deals"]
    test = corpus.subset([i for i, extra in enumerate(corpus.extra) if splits[extra["deal"]] == "test"])
    analyzer = framing.load(ROOT / "models" / "framing-bundled.joblib")
    results = analyzer.score_many(test.texts)

    n_kind: Counter[str] = Counter()
    n_register: Counter[str] = Counter()
    errors: dict[str, Counter[str]] = {t: Counter() for t in TOPICS}
    register_errors: Counter[str] = Counter()
    listed: dict[str, list[str]] = defaultdict(list)
    confident: Counter[str] = Counter()
    kinds_of_error: Counter[tuple[str, str]] = Counter()
    for i, result in enumerate(results):
        kind = test.extra[i].get("hard_case", "none")
        register = test.extra[i].get("register", "?")
        n_kind[kind] += 1
        n_register[register] += 1
        for topic in TOPICS:
            gold, got = test.stance[topic][i], result.stance[topic]
            if gold is None or got.label == gold:
                continue
            errors[topic][kind] += 1
            p = got.probabilities[got.label]
            confident[topic] += p >= args.confident
            if topic == "arms_sales":
                register_errors[register] += 1
            what = (
                "gold neutral"
                if gold == "neutral"
                else "predicted neutral"
                if got.label == "neutral"
                else "sign flipped"
            )
            kinds_of_error[(topic, what)] += 1
            listed[topic].append(f"{test.ids[i]} [{kind}, {register}] gold {gold}, predicted {got.label} ({p:.2f})")

    print(f"test split: {len(test)} passages\n")
    print("| passages | n | arms_sales errors | regional_stability errors |\n| --- | --- | --- | --- |")
    order = sorted(n_kind, key=lambda k: -errors["arms_sales"][k] / n_kind[k])
    for kind in order:
        cells = [_share(errors[t][kind], n_kind[kind]) for t in TOPICS]
        print(f"| {KINDS.get(kind, kind)} | {n_kind[kind]} | {cells[0]} | {cells[1]} |")
    by_register = ", ".join(f"{r} {register_errors[r]} of {n_register[r]}" for r in sorted(n_register))
    print(f"\nBy register, arms_sales errors: {by_register}.")
    for topic in TOPICS:
        total = sum(errors[topic].values())
        print(f"{topic}: {total} errors, {confident[topic]} with probability >= {args.confident}")
    print("\nError types:", ", ".join(f"{t} {k}: {v}" for (t, k), v in sorted(kinds_of_error.items())))
    for topic in TOPICS:
        print(f"\n{topic} errors:")
        for line in listed[topic]:
            print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
