"""Check the authored corpus against the project's rules; exit 1 listing every failure.

    python scripts/check_corpus.py          # all checks, a summary, failures listed
    python scripts/check_corpus.py --json   # the measurements as JSON

Rules (issue "A domain corpus worth training on"):
- at least 1,000 passages of 80-600 words; at least 60 deals over at least 20 country pairs
  (``data/deals.json``); every deal of the corpus described there;
- each arms_sales label on at least 25 % of passages, each regional_stability label on 20 %;
- every frame other than ``other`` used by at least 30 passages;
- at least 20 % deliberate hard cases;
- no sentence used twice; no 8-word run shared by more than 3 passages (runs made only of
  capitalised words, numbers and short function words, i.e. names and titles, are exempt);
- varied openings: no first three words shared by more than 2 % of passages.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus.jsonl"
DEALS = ROOT / "data" / "deals.json"
_WORD = re.compile(r"[\w'’-]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“'‘(])")
# A letter's salutation is a convention of the genre, not an opening: measure what follows it.
_SALUTATION = re.compile(r"^\s*(to the editor|dear editor|sir|madam|dear sir or madam)\s*[:,.]?\s*", re.IGNORECASE)
_FUNCTION = {"of", "the", "and", "for", "to", "in", "on", "a", "an", "de", "la", "le", "-", "&"}


def _is_name_run(words: tuple[str, ...]) -> bool:
    return all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _FUNCTION for w in words)


def measure(records: list[dict], deals: dict[str, dict]) -> dict:
    """Measure everything the rules speak of."""
    n = len(records)
    words = [len(_WORD.findall(r["text"])) for r in records]
    out: dict = {"passages": n, "words": {"min": min(words), "max": max(words), "median": sorted(words)[n // 2]}}
    out["too_short"] = [r["id"] for r, w in zip(records, words) if w < 80]
    out["too_long"] = [r["id"] for r, w in zip(records, words) if w > 600]
    corpus_deals = {r["deal"] for r in records if not r["deal"].startswith("offtopic")}
    out["deals"] = len(corpus_deals)
    out["undescribed_deals"] = sorted(corpus_deals - set(deals))
    out["pairs"] = len({deals[d]["pair"] for d in corpus_deals if d in deals})
    out["stance_shares"] = {
        topic: {k: v / n for k, v in sorted(Counter(r["stance"][topic] for r in records).items())}
        for topic in ("arms_sales", "regional_stability")
    }
    out["frame_counts"] = dict(sorted(Counter(f for r in records for f in r["frames"]).items()))
    out["hard_share"] = sum(r.get("hard_case", "none") != "none" for r in records) / n
    out["hard_kinds"] = dict(Counter(r.get("hard_case", "none") for r in records).most_common())
    sentences: dict[str, list[str]] = defaultdict(list)
    for r in records:
        for s in _SENTENCE.split(r["text"]):
            s = " ".join(s.split())
            if len(_WORD.findall(s)) >= 5:
                sentences[s].append(r["id"])
    out["repeated_sentences"] = {s: ids for s, ids in sentences.items() if len(ids) > 1}
    runs: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for r in records:
        tokens = _WORD.findall(r["text"])
        for i in range(len(tokens) - 7):
            run = tuple(tokens[i : i + 8])
            if not _is_name_run(run):
                runs[tuple(w.lower() for w in run)].add(r["id"])
    out["shared_8grams"] = {" ".join(k): sorted(v) for k, v in runs.items() if len(v) > 3}
    openings = Counter(" ".join(_WORD.findall(_SALUTATION.sub("", r["text"]))[:3]).lower() for r in records)
    out["common_openings"] = {k: v for k, v in openings.most_common(10) if v / n > 0.02}
    return out


def failures(m: dict) -> list[str]:
    """The rules the measurements break."""
    bad = []
    if m["passages"] < 1000:
        bad.append(f"{m['passages']} passages, need at least 1000")
    if m["too_short"] or m["too_long"]:
        bad.append(f"lengths outside 80-600 words: {m['too_short'][:5] + m['too_long'][:5]}")
    if m["deals"] < 60:
        bad.append(f"{m['deals']} deals, need at least 60")
    if m["undescribed_deals"]:
        bad.append(f"deals missing from data/deals.json: {m['undescribed_deals']}")
    if m["pairs"] < 20:
        bad.append(f"{m['pairs']} country pairs, need at least 20")
    for topic, floor in (("arms_sales", 0.25), ("regional_stability", 0.20)):
        for label, share in m["stance_shares"][topic].items():
            if share < floor:
                bad.append(f"{topic}={label} on {share:.1%} of passages, need {floor:.0%}")
    for frame, count in m["frame_counts"].items():
        if frame != "other" and count < 30:
            bad.append(f"frame {frame} used by {count} passages, need 30")
    if m["hard_share"] < 0.20:
        bad.append(f"hard cases {m['hard_share']:.1%}, need 20%")
    if m["repeated_sentences"]:
        bad.append(
            f"{len(m['repeated_sentences'])} sentences used twice, e.g. {next(iter(m['repeated_sentences'].items()))}"
        )
    if m["shared_8grams"]:
        bad.append(
            f"{len(m['shared_8grams'])} 8-word runs in more than 3 passages, e.g. {next(iter(m['shared_8grams'].items()))}"
        )
    if m["common_openings"]:
        bad.append(f"openings shared by more than 2% of passages: {m['common_openings']}")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    deals = json.loads(DEALS.read_text(encoding="utf-8"))
    m = measure(records, deals)
    if args.json:
        print(json.dumps(m, indent=1))
    else:
        print(
            f"{m['passages']} passages, words {m['words']}, {m['deals']} deals, {m['pairs']} pairs, hard {m['hard_share']:.1%}"
        )
        for topic, shares in m["stance_shares"].items():
            print(f"{topic}: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))
        print("frames: " + ", ".join(f"{k} {v}" for k, v in m["frame_counts"].items()))
    bad = failures(m)
    for line in bad:
        print(f"FAIL: {line}", file=sys.stderr)
    if not bad:
        print("all corpus checks pass")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
