"""Build ``data/corpus.jsonl`` from the authored passages in ``data/passages/*.txt``.

The passages are written in a block format that is easier to author and review than JSON:

    === id: gulf-001
    deal: us-saudi-pgm-2017
    register: op-ed
    arms_sales: against
    regional_stability: destabilising
    frames: security_and_defense, health_and_safety, morality
    primary: health_and_safety
    hard: concession
    ---
    The text, over one or more paragraphs.

``hard`` is optional (``none`` when the passage is not a deliberate hard case).
Run ``python scripts/build_corpus.py`` to rebuild the JSONL, or with ``--check`` to
validate the sources and confirm that the JSONL is up to date without writing it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSAGES = ROOT / "data" / "passages"
OUT = ROOT / "data" / "corpus.jsonl"

STANCE = {
    "arms_sales": {"favor", "against", "neutral"},
    "regional_stability": {"stabilising", "destabilising", "neutral"},
}
FRAMES = {
    "economic",
    "capacity_and_resources",
    "morality",
    "fairness_and_equality",
    "legality_constitutionality_jurisprudence",
    "policy_prescription_and_evaluation",
    "crime_and_punishment",
    "security_and_defense",
    "health_and_safety",
    "quality_of_life",
    "cultural_identity",
    "public_opinion",
    "political",
    "external_regulation_and_reputation",
    "other",
}
REGISTERS = {"op-ed", "editorial", "news", "analysis", "statement", "letter"}
HARD = {
    "none",
    "concession",
    "quote_rebut",
    "irony",
    "both_sides_news",
    "economic_or_moral_argument",
    "rights_language_favor",
    "deterrence_language_against",
    "off_topic",
}
HEADER = re.compile(r"^=== id:\s*(\S+)\s*$")


class PassageError(ValueError):
    """A malformed passage block, with the file and line it starts on."""


def _parse_block(path: Path, start: int, lines: list[str]) -> dict:
    where = f"{path.name}:{start}"
    meta: dict[str, str] = {}
    try:
        sep = lines.index("---")
    except ValueError:
        raise PassageError(f"{where}: no '---' line between the fields and the text") from None
    for offset, line in enumerate(lines[:sep], start=1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise PassageError(f"{path.name}:{start + offset}: expected 'field: value', got {line!r}")
        meta[key.strip()] = value.strip()
    text = "\n".join(lines[sep + 1 :]).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    missing = {"deal", "register", "arms_sales", "regional_stability", "frames", "primary"} - meta.keys()
    if missing:
        raise PassageError(f"{where}: missing field(s) {sorted(missing)}")
    frames = [f.strip() for f in meta["frames"].split(",") if f.strip()]
    problems = []
    for topic, labels in STANCE.items():
        if meta[topic] not in labels:
            problems.append(f"{topic}={meta[topic]!r} (expected one of {sorted(labels)})")
    for f in frames:
        if f not in FRAMES:
            problems.append(f"unknown frame {f!r}")
    if meta["primary"] not in frames:
        problems.append(f"primary {meta['primary']!r} is not among frames {frames}")
    if meta["register"] not in REGISTERS:
        problems.append(f"register={meta['register']!r} (expected one of {sorted(REGISTERS)})")
    hard = meta.get("hard", "none") or "none"
    if hard not in HARD:
        problems.append(f"hard={hard!r} (expected one of {sorted(HARD)})")
    if not text:
        problems.append("empty text")
    if problems:
        raise PassageError(f"{where}: " + "; ".join(problems))
    return {
        "id": "",  # filled by the caller
        "text": text,
        "stance": {t: meta[t] for t in STANCE},
        "frames": frames,
        "primary_frame": meta["primary"],
        "deal": meta["deal"],
        "register": meta["register"],
        "hard_case": hard,
    }


def parse_file(path: Path) -> list[dict]:
    """Parse one passages file into corpus records."""
    records: list[dict] = []
    current: list[str] | None = None
    start = 0
    pid = ""
    raw = path.read_text(encoding="utf-8").splitlines()
    for lineno, line in enumerate([*raw, "=== id: __end__"], start=1):
        m = HEADER.match(line)
        if m:
            if current is not None:
                rec = _parse_block(path, start, current)
                rec["id"] = pid
                records.append(rec)
            pid, start, current = m.group(1), lineno, []
        elif current is not None:
            current.append(line.rstrip())
        elif line.strip():
            raise PassageError(f"{path.name}:{lineno}: text before the first '=== id:' header")
    return records


def build() -> list[dict]:
    """Parse every passages file, in name order, and check ids are unique."""
    records: list[dict] = []
    seen: dict[str, str] = {}
    for path in sorted(PASSAGES.glob("*.txt")):
        for rec in parse_file(path):
            if rec["id"] in seen:
                raise PassageError(f"{path.name}: id {rec['id']!r} already used in {seen[rec['id']]}")
            seen[rec["id"]] = path.name
            records.append(rec)
    return records


def render(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in records)


def _stats(paths: list[Path]) -> int:
    from collections import Counter

    records = []
    try:
        for path in paths:
            records += parse_file(path)
    except PassageError as exc:
        print(f"build_corpus: {exc}", file=sys.stderr)
        return 1
    n = len(records)
    words = sorted(len(r["text"].split()) for r in records)
    print(f"{n} passages; words min {words[0]}, median {words[n // 2]}, max {words[-1]}")
    for key, counter in [
        ("arms_sales", Counter(r["stance"]["arms_sales"] for r in records)),
        ("regional_stability", Counter(r["stance"]["regional_stability"] for r in records)),
        ("frames (any)", Counter(f for r in records for f in r["frames"])),
        ("primary", Counter(r["primary_frame"] for r in records)),
        ("register", Counter(r["register"] for r in records)),
        ("hard_case", Counter(r["hard_case"] for r in records)),
        ("deal", Counter(r["deal"] for r in records)),
    ]:
        print(f"{key}: " + ", ".join(f"{k} {v}" for k, v in counter.most_common()))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="validate only; fail if the JSONL is stale")
    parser.add_argument(
        "--stats", nargs="+", type=Path, metavar="FILE", help="validate these files and print label counts"
    )
    args = parser.parse_args(argv)
    if args.stats:
        return _stats(args.stats)
    try:
        records = build()
    except PassageError as exc:
        print(f"build_corpus: {exc}", file=sys.stderr)
        return 1
    text = render(records)
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"build_corpus: {OUT.relative_to(ROOT)} is out of date; run scripts/build_corpus.py", file=sys.stderr)
            return 1
        print(f"{len(records)} passages, up to date")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(records)} passages to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
