"""Peak memory of `framing score` on large inputs: is it flat as the input grows?

Generates op-ed-like JSONL inputs (150-800 words each, recombined from the paragraphs of
``data/corpus.jsonl`` with a fixed seed) of 10,000, 30,000 and 100,000 records in a temporary
folder, and runs ``python -m framing score big.jsonl -o out.jsonl`` (bundled model, defaults:
one process, chunks of 500) on each as a subprocess. The child's resident memory is sampled
every 0.2 s from ``/proc/<pid>/status`` (VmRSS, and VmHWM, the kernel's high-water mark, whose
last reading is the peak); the child's ``ru_maxrss`` from ``wait4`` is a cross-check. The output
must hold exactly one record per input record.

Then ``--resume`` on the largest output, cut to half its records plus a half-written line: the
peak of a resumed run, and that the completed output again holds one record per input record.

Finally a breakdown, in fresh processes: the interpreter alone, ``import framing``, the model
load, and scoring 2,000 documents in-process (with tracemalloc's peak of Python allocations),
so that a peak above the target can be attributed.

The target is a peak resident set of at most 250 MB when scoring 100,000 records.

    python benchmarks/memory.py            # 10k, 30k, 100k records: about five minutes on 2 cores
    python benchmarks/memory.py --smoke    # 2,000 records: about 20 s (CI)
    python benchmarks/memory.py --gzip     # the inputs gzip-compressed
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import REPO, table, write_results

CORPUS = REPO / "data" / "corpus.jsonl"
TARGET_MB = 250.0
INTERVAL = 0.2


def paragraphs() -> list[str]:
    """The corpus's paragraphs (texts split at blank lines), in corpus order."""
    with open(CORPUS, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    return [p.strip() for t in texts for p in t.split("\n\n") if p.strip()]


def documents(n: int, seed: int = 0) -> Iterator[dict[str, str]]:
    """``n`` op-ed-like records of 150-800 words: sampled corpus paragraphs, cut to length."""
    paras = paragraphs()
    rng = random.Random(seed)
    for i in range(n):
        target, parts, count = rng.randint(150, 800), [], 0
        while count < target:
            words = rng.choice(paras).split()[: target - count]
            parts.append(" ".join(words))
            count += len(words)
        yield {"id": f"doc-{i:06d}", "text": "\n\n".join(parts)}


def write_input(path: Path, n: int, compress: bool) -> dict[str, Any]:
    """Write ``n`` records as JSONL (gzip if ``compress``), streaming: this process stays small."""
    opener = gzip.open if compress else open
    words = 0
    with opener(path, "wt", encoding="utf-8") as fh:  # type: ignore[operator]
        for doc in documents(n):
            words += len(doc["text"].split())
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return {"records": n, "file_mb": round(path.stat().st_size / 2**20, 1), "mean_words": round(words / n)}


def env() -> dict[str, str]:
    """The child's environment: the checkout importable, an empty NLTK_DATA (framing needs none)."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    e.setdefault("NLTK_DATA", tempfile.mkdtemp(prefix="framing-memory-nltk-"))
    return e


def status_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid`` in kB, from /proc (empty once it has exited)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def run_sampled(args: list[str], cwd: Path) -> dict[str, Any]:
    """Run ``python -m framing <args>``; sample its memory every INTERVAL s until it exits."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "framing", *args],
        cwd=cwd,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    samples: list[tuple[float, int]] = []  # (seconds since start, VmRSS kB)
    hwm = 0
    while True:
        # wait4 with WNOHANG reaps the child and gives its ru_maxrss; /proc is read while it runs.
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        st = status_kb(proc.pid)
        if "VmRSS" in st:
            samples.append((time.perf_counter() - start, st["VmRSS"]))
            hwm = max(hwm, st.get("VmHWM", 0))
        time.sleep(INTERVAL)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"framing {' '.join(args)} exited {proc.returncode}:\n{stderr}")
    rss = [kb for _, kb in samples]
    # RSS over the second half of the run against the first half's end: growth while scoring.
    half = [kb for t, kb in samples if t >= wall / 2]
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(hwm / 1024, 1),
        "ru_maxrss_mb": round(usage.ru_maxrss / 1024, 1),
        "max_sampled_rss_mb": round(max(rss, default=0) / 1024, 1),
        "median_rss_second_half_mb": round(sorted(half)[len(half) // 2] / 1024, 1) if half else None,
        "n_samples": len(samples),
        "rss_timeline_mb": [[round(t, 1), round(kb / 1024, 1)] for t, kb in samples[:: max(1, len(samples) // 40)]],
        "exit_status": proc.returncode,
    }


def count_output(path: Path) -> tuple[int, int, int]:
    """Records, error records and distinct ids in a JSONL output file (every line must parse)."""
    n = errors = 0
    ids: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            out = json.loads(line)
            n += 1
            errors += out.get("error") is not None
            ids.add(out["id"])
    return n, errors, len(ids)


def cut_output(path: Path, keep: int) -> None:
    """Keep the first ``keep`` records of a JSONL output plus half of the next line (a killed run)."""
    with open(path, "rb") as fh:
        head = b"".join(fh.readline() for _ in range(keep))
        partial = fh.readline()
    path.write_bytes(head + partial[: len(partial) // 2])


_BREAKDOWN = r"""
import json, sys, time, tracemalloc
def kb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
out = {"interpreter": kb("VmRSS")}
import framing
out["import_framing"] = kb("VmRSS")
analyzer = framing.load()
out["load_model"] = kb("VmRSS")
out["hwm_after_load"] = kb("VmHWM")
docs = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
out["read_docs"] = kb("VmRSS")
tracemalloc.start()
for i in range(0, len(docs), 500):
    results = analyzer.score_many(docs[i:i + 500])
    text = [json.dumps(r.to_dict()) for r in results]
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
out["score"] = kb("VmRSS")
out["hwm_after_score"] = kb("VmHWM")
out["tracemalloc_peak_during_scoring"] = peak // 1024
print(json.dumps(out))
"""


_TO_CSV = r"""
import json, sys
import framing
from framing.batch import output_columns, write_records
columns = output_columns(framing.load())
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8", newline="") as dst:
    write_records((json.loads(line) for line in src), dst, format="csv", columns=columns)
"""

_COUNT = r"""
import json, sys
from framing.batch import count_output_records
def kb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
before = kb("VmRSS")
n = count_output_records(sys.argv[1], sys.argv[2])
print(json.dumps({"records": n, "rss_before_kb": before, "hwm_kb": kb("VmHWM")}))
"""


def resume_count(tmp: Path, out: Path, keep: int) -> dict[str, Any]:
    """Memory of ``count_output_records`` (what --resume does first) on ``keep`` records, JSONL and CSV.

    Each in a fresh process that imports framing.batch only (no model): the growth over the RSS
    before the call is what counting the earlier output costs.
    """
    jsonl, csv_path = tmp / "count.jsonl", tmp / "count.csv"
    with open(out, "rb") as src, open(jsonl, "wb") as dst:
        for _ in range(keep):
            dst.write(src.readline())
    subprocess.run([sys.executable, "-c", _TO_CSV, str(jsonl), str(csv_path)], env=env(), check=True)
    result: dict[str, Any] = {}
    for fmt, path in (("jsonl", jsonl), ("csv", csv_path)):
        data = path.read_bytes()
        path.write_bytes(data + data[: data.index(b"\n") // 2])  # plus a half-written line
        size_mb = round(path.stat().st_size / 2**20, 1)
        proc = subprocess.run(
            [sys.executable, "-c", _COUNT, str(path), fmt], env=env(), capture_output=True, text=True, check=True
        )
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        result[fmt] = {
            "file_mb": size_mb,
            "records_counted": got["records"],
            "count_ok": got["records"] == keep,
            "rss_before_mb": round(got["rss_before_kb"] / 1024, 1),
            "peak_mb": round(got["hwm_kb"] / 1024, 1),
            "growth_mb": round((got["hwm_kb"] - got["rss_before_kb"]) / 1024, 1),
        }
    return result


def breakdown(tmp: Path) -> dict[str, float]:
    """RSS (MB) of a fresh process after each stage: interpreter, import, model load, scoring 2,000 docs."""
    docs = tmp / "breakdown.jsonl"
    write_input(docs, 2000, compress=False)
    proc = subprocess.run(
        [sys.executable, "-c", _BREAKDOWN, str(docs)], env=env(), capture_output=True, text=True, check=True
    )
    return {k: round(v / 1024, 1) for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="2,000 records only (seconds)")
    parser.add_argument("--gzip", action="store_true", help="gzip-compress the inputs")
    parser.add_argument("--sizes", type=int, nargs="+", help="record counts (default: 10000 30000 100000)")
    parser.add_argument("--no-resume", action="store_true", help="skip the --resume measurement")
    opts = parser.parse_args()
    sizes = opts.sizes or ([2000] if opts.smoke else [10_000, 30_000, 100_000])

    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="framing-memory-") as tmpdir:
        tmp = Path(tmpdir)
        for n in sizes:
            name = f"big-{n}.jsonl" + (".gz" if opts.gzip else "")
            t0 = time.perf_counter()
            info = write_input(tmp / name, n, opts.gzip)
            print(f"{n:,} records: {info['file_mb']} MB, {info['mean_words']} words on average "
                  f"(written in {time.perf_counter() - t0:.0f} s); scoring ...", flush=True)  # fmt: skip
            out = tmp / f"out-{n}.jsonl"
            res = run_sampled(["score", name, "-o", out.name, "--progress", "off"], tmp)
            n_out, n_err, n_ids = count_output(out)
            res.update(info)
            res.update(
                {
                    "command": f"python -m framing score {name} -o {out.name}",
                    "records_out": n_out,
                    "error_records": n_err,
                    "distinct_ids": n_ids,
                    "records_per_s": round(n / res["wall_s"], 1),
                    "output_mb": round(out.stat().st_size / 2**20, 1),
                    "count_ok": n_out == n == n_ids,
                }
            )
            runs.append(res)
            print(f"  peak {res['peak_rss_mb']} MB, {res['records_per_s']} records/s, "
                  f"{n_out:,} records out ({'ok' if res['count_ok'] else 'MISMATCH'})", flush=True)  # fmt: skip
            if n != sizes[-1]:
                out.unlink()

        resume = None
        if not opts.no_resume:
            n = sizes[-1]
            name = f"big-{n}.jsonl" + (".gz" if opts.gzip else "")
            out = tmp / f"out-{n}.jsonl"
            size_before = out.stat().st_size
            cut_output(out, n // 2)
            cut_mb = round(out.stat().st_size / 2**20, 1)
            print(
                f"--resume from {n // 2:,} of {n:,} records (output was {size_before / 2**20:.0f} MB) ...", flush=True
            )
            resume = run_sampled(["score", name, "-o", out.name, "--resume", "--progress", "off"], tmp)
            n_out, n_err, n_ids = count_output(out)
            resume.update(
                {
                    "command": f"python -m framing score {name} -o {out.name} --resume",
                    "records": n,
                    "resumed_from": n // 2,
                    "output_mb_at_start": cut_mb,
                    "records_out": n_out,
                    "distinct_ids": n_ids,
                    "count_ok": n_out == n == n_ids,
                }
            )
            print(f"  peak {resume['peak_rss_mb']} MB, {n_out:,} records out "
                  f"({'ok' if resume['count_ok'] else 'MISMATCH'})", flush=True)  # fmt: skip

        counting = None
        if not opts.no_resume:
            n = sizes[-1]
            print(f"count_output_records on {n // 2:,} records, JSONL and CSV ...", flush=True)
            counting = resume_count(tmp, tmp / f"out-{n}.jsonl", n // 2)
        print("breakdown ...", flush=True)
        stages = breakdown(tmp)

    print()
    rows = [
        [f"{r['records']:,}", r["file_mb"], r["peak_rss_mb"], r["ru_maxrss_mb"], r["median_rss_second_half_mb"],
         r["wall_s"], r["records_per_s"], f"{r['records_out']:,}", "yes" if r["count_ok"] else "NO"]
        for r in runs
    ]  # fmt: skip
    if resume:
        rows.append(
            [f"{resume['records']:,} (--resume from {resume['resumed_from']:,})", "", resume["peak_rss_mb"],
             resume["ru_maxrss_mb"], resume["median_rss_second_half_mb"], resume["wall_s"],
             round((resume["records"] - resume["resumed_from"]) / resume["wall_s"], 1),
             f"{resume['records_out']:,}", "yes" if resume["count_ok"] else "NO"]
        )  # fmt: skip
    print(table(["records", "input MB", "peak RSS MB (VmHWM)", "ru_maxrss MB", "median RSS, 2nd half MB",
                 "wall s", "records/s", "records out", "1 out per in"], rows))  # fmt: skip
    print()
    print(table(["stage (fresh process)", "MB"], [[k, v] for k, v in stages.items()]))
    if counting:
        print()
        print(
            table(
                ["--resume counting (fresh process)", "output MB", "records", "RSS before MB", "peak MB", "growth MB"],
                [
                    [fmt, c["file_mb"], f"{c['records_counted']:,}", c["rss_before_mb"], c["peak_mb"], c["growth_mb"]]
                    for fmt, c in counting.items()
                ],
            )
        )

    largest = runs[-1]
    within = largest["peak_rss_mb"] <= TARGET_MB
    growth = round(largest["peak_rss_mb"] - runs[0]["peak_rss_mb"], 1)
    print(f"\npeak at {largest['records']:,} records: {largest['peak_rss_mb']} MB "
          f"(target <= {TARGET_MB:.0f} MB: {'met' if within else 'MISSED'}); "
          f"growth from {runs[0]['records']:,} records: {growth:+} MB")  # fmt: skip
    if resume:
        print(f"peak of --resume: {resume['peak_rss_mb']} MB "
              f"(target: {'met' if resume['peak_rss_mb'] <= TARGET_MB else 'MISSED'})")  # fmt: skip

    write_results(
        "memory",
        {
            "target_peak_rss_mb": TARGET_MB,
            "gzip": opts.gzip,
            "runs": runs,
            "resume": resume,
            "breakdown_mb": stages,
            "resume_counting": counting,
            "target_met": within,
            "resume_target_met": None if resume is None else resume["peak_rss_mb"] <= TARGET_MB,
            "peak_growth_mb": growth,
        },
        opts.smoke,
    )
    ok = all(r["count_ok"] for r in runs) and (resume is None or resume["count_ok"])
    ok = ok and (counting is None or all(c["count_ok"] for c in counting.values()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
