"""Streaming (out-of-core) training against batch training on the project corpus.

Trains on the train + dev deals of ``data/splits.json`` with (a) ``framing.train`` (batch TF-IDF,
logistic regression) and (b) ``framing.streaming.train_streaming`` (hashed features, SGD, chunk by
chunk), and evaluates both on the test deals with ``framing.evaluation.evaluate``. Each training
runs in a fresh subprocess, so that its time and peak RSS (``VmHWM``) are its own.

Usage::

    python benchmarks/streaming.py            # the full comparison (about a minute)
    python benchmarks/streaming.py --smoke    # a small subset, in seconds (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from _common import REPO, proc_status_mb, table, write_results

CORPUS = REPO / "data" / "corpus.jsonl"
SPLITS = REPO / "data" / "splits.json"


def _train_arm(arm: str, train_file: str, model: str, options: dict[str, Any]) -> None:
    """Subprocess entry: train one arm, save it, print time and memory as JSON."""
    import framing
    from framing.streaming import train_streaming

    rss_imported = proc_status_mb("VmRSS")
    start = time.perf_counter()
    if arm == "batch":
        analyzer = framing.train(framing.read_corpus(train_file), random_state=0)
    else:
        analyzer = train_streaming(train_file, random_state=0, **options)
    seconds = time.perf_counter() - start
    peak = proc_status_mb("VmHWM")
    framing.save(analyzer, model)
    print(
        json.dumps(
            {
                "train_s": seconds,
                "rss_after_imports_mb": rss_imported,
                "peak_rss_mb": peak,
                "model_mb": Path(model).stat().st_size / 1e6,
            }
        )
    )


def _run_arm(arm: str, train_file: Path, model: Path, options: dict[str, Any]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--_arm", arm, "--_train", str(train_file), "--_model", str(model)]
    cmd += ["--_options", json.dumps(options)]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{arm} training failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _split(smoke: bool, folder: Path) -> tuple[Path, Any, dict[str, int]]:
    """Write the train+dev records to a JSONL file; return it, the test corpus and the split sizes."""
    import framing

    deals = json.loads(SPLITS.read_text(encoding="utf-8"))["deals"]
    train_lines: list[str] = []
    test_lines: list[str] = []
    with open(CORPUS, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            split = deals.get(json.loads(line).get("deal"))
            (test_lines if split == "test" else train_lines if split in ("train", "dev") else []).append(line)
    if smoke:
        train_lines, test_lines = train_lines[:120], test_lines[:40]
    train_file = folder / "train_dev.jsonl"
    test_file = folder / "test.jsonl"
    train_file.write_text("".join(train_lines), encoding="utf-8")
    test_file.write_text("".join(test_lines), encoding="utf-8")
    return train_file, framing.read_corpus(test_file), {"train_dev": len(train_lines), "test": len(test_lines)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a small subset, in seconds")
    parser.add_argument("--_arm", help=argparse.SUPPRESS)
    parser.add_argument("--_train", help=argparse.SUPPRESS)
    parser.add_argument("--_model", help=argparse.SUPPRESS)
    parser.add_argument("--_options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._arm:
        _train_arm(args._arm, args._train, args._model, json.loads(args._options))
        return

    import framing
    from framing.evaluation import evaluate

    if args.smoke:
        arms = {
            "batch": ("batch", {}),
            "streaming": ("streaming", {"chunk_size": 50, "epochs": 1, "n_features": 2**18}),
        }
    else:
        arms = {
            "batch": ("batch", {}),
            "streaming": ("streaming", {}),
            "streaming, epochs=5": ("streaming", {"epochs": 5}),
            "streaming, chunk_size=100": ("streaming", {"chunk_size": 100}),
            "streaming, n_features=2**18": ("streaming", {"n_features": 2**18}),
        }
    rows = []
    results: dict[str, Any] = {"arms": {}}
    with tempfile.TemporaryDirectory(prefix="framing-streaming-bench-") as tmp:
        folder = Path(tmp)
        train_file, test, sizes = _split(args.smoke, folder)
        results["sizes"] = sizes
        print(f"train+dev: {sizes['train_dev']} records, test: {sizes['test']} records")
        for name, (arm, options) in arms.items():
            model = folder / f"{len(rows)}.joblib"
            measured = _run_arm(arm, train_file, model, options)
            report = evaluate(framing.load(model), test)
            entry = {
                "options": options,
                **measured,
                "arms_sales_macro_f1": report["topics"]["arms_sales"]["macro_f1"],
                "regional_stability_macro_f1": report["topics"]["regional_stability"]["macro_f1"],
                "frames_micro_f1": report["frames"]["micro_f1"],
                "primary_accuracy": report["frames"].get("primary_accuracy"),
            }
            results["arms"][name] = entry
            rows.append(
                [
                    name,
                    entry["arms_sales_macro_f1"],
                    entry["regional_stability_macro_f1"],
                    entry["frames_micro_f1"],
                    entry["primary_accuracy"],
                    entry["train_s"],
                    entry["peak_rss_mb"],
                    entry["model_mb"],
                ]
            )
            print(f"{name}: done in {entry['train_s']:.1f} s", flush=True)
    headers = [
        "system",
        "arms_sales macro-F1",
        "regional_stability macro-F1",
        "frames micro-F1",
        "primary acc.",
        "train s",
        "peak RSS MB",
        "model MB",
    ]
    print()
    print(table(headers, rows))
    write_results("streaming", results, args.smoke)


if __name__ == "__main__":
    main()
