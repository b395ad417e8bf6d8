"""Inter-annotator agreement between the corpus labels and the blind second pass.

    python scripts/agreement.py            # print, and write the table into data/GUIDELINES.md

``data/annotation/second_pass.jsonl`` holds a second, independent annotation of a random 10 %
of the corpus (made without seeing the first labels). This reports Cohen's kappa per topic and
for the primary frame, and per frame the share of passages where both annotators agree on
whether the frame is used, with Cohen's kappa of that yes/no decision.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus.jsonl"
SECOND = ROOT / "data" / "annotation" / "second_pass.jsonl"
GUIDELINES = ROOT / "data" / "GUIDELINES.md"


def _read(path: Path) -> dict[str, dict]:
    return {
        r["id"]: r for r in (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    }


def agreement() -> tuple[int, list[str]]:
    """Compute the agreement table; return the sample size and markdown lines."""
    first, second = _read(CORPUS), _read(SECOND)
    ids = sorted(set(first) & set(second))
    lines = [
        f"Second, blind annotation of {len(ids)} passages ({len(ids) / len(first):.1%} of the corpus): a random "
        "105 (seed 2026) of the first 1,045 passages, a random 12 (seed 2027) of the 125 written next, and "
        "random samples of the two batches aimed at the weaker frames: 31 (seed 2028) of the 300 with ids "
        "xa-xe and 30 (seed 2029) of the 300 with ids xf-xj, by an annotator who saw only the texts and these guidelines. Measured with `python scripts/agreement.py`.",
        "",
        "| label | agreement | Cohen's kappa |",
        "| --- | --- | --- |",
    ]
    for topic in ("arms_sales", "regional_stability"):
        a = [first[i]["stance"][topic] for i in ids]
        b = [second[i]["stance"][topic] for i in ids]
        agree = sum(x == y for x, y in zip(a, b)) / len(ids)
        lines.append(f"| {topic} | {agree:.1%} | {cohen_kappa_score(a, b):.3f} |")
    a = [first[i]["primary_frame"] for i in ids]
    b = [second[i]["primary_frame"] for i in ids]
    lines.append(
        f"| primary frame | {sum(x == y for x, y in zip(a, b)) / len(ids):.1%} | {cohen_kappa_score(a, b):.3f} |"
    )
    lines += [
        "",
        "Per frame (is the frame used or not?):",
        "",
        "| frame | used (1st / 2nd) | agreement | Cohen's kappa |",
        "| --- | --- | --- | --- |",
    ]
    frames = sorted({f for i in ids for f in first[i]["frames"] + second[i]["frames"]})
    for frame in frames:
        a = [int(frame in first[i]["frames"]) for i in ids]
        b = [int(frame in second[i]["frames"]) for i in ids]
        agree = sum(x == y for x, y in zip(a, b)) / len(ids)
        kappa = cohen_kappa_score(a, b) if len(set(a) | set(b)) > 1 else float("nan")
        lines.append(f"| {frame} | {sum(a)} / {sum(b)} | {agree:.1%} | {kappa:.3f} |")
    return len(ids), lines


def main() -> int:
    _, lines = agreement()
    table = "\n".join(lines)
    print(table)
    if GUIDELINES.exists():
        text = GUIDELINES.read_text(encoding="utf-8")
        start, end = "<!-- agreement:start -->", "<!-- agreement:end -->"
        if start in text and end in text:
            head, _, rest = text.partition(start)
            _, _, tail = rest.partition(end)
            GUIDELINES.write_text(f"{head}{start}\n{table}\n{end}{tail}", encoding="utf-8")
            print(f"updated {GUIDELINES.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
