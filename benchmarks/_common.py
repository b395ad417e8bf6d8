"""Helpers shared by the benchmark scripts: paths, the shared data folder, tables, JSON results.

The scripts are run as ``python benchmarks/<name>.py`` from a checkout; this module puts the
checkout on ``sys.path`` so that ``import framing`` works without installing the package.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def shared_data_dir() -> Path:
    """The public data folder: ``$FRAMING_SHARED_DATA``, else ``<repo>/../shared/data``."""
    return Path(os.environ.get("FRAMING_SHARED_DATA", REPO.parent / "shared" / "data"))


def require_data(name: str, files: Sequence[str]) -> Path:
    """Return the data set folder ``name``, or exit 0 with a clear message if it or a file is missing."""
    folder = shared_data_dir() / name
    missing = [f for f in files if not (folder / f).is_file()]
    if not folder.is_dir() or missing:
        what = folder if not folder.is_dir() else ", ".join(str(folder / f) for f in missing)
        print(
            f"SKIPPED: data set {name!r} not found ({what}). "
            "Set FRAMING_SHARED_DATA to the folder that holds the public data sets to run this benchmark."
        )
        sys.exit(0)
    return folder


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries the results depend on."""
    import nltk
    import numpy
    import scipy
    import sklearn

    import framing

    return {
        "framing": framing.__version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "nltk": nltk.__version__,
    }


def passage_splits(corpus: Any) -> list[str]:
    """The deal-grouped split ("train", "dev" or "test") of each passage of the project corpus."""
    deals = json.loads((REPO / "data" / "splits.json").read_text(encoding="utf-8"))["deals"]
    return [deals[extra["deal"]] for extra in corpus.extra]


def machine() -> dict[str, Any]:
    """CPU model, core count and RAM, read from /proc where available."""
    cpu = platform.processor() or platform.machine()
    ram_gb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024**2, 1)
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram_gb, "platform": platform.platform()}


def write_results(name: str, results: dict[str, Any], smoke: bool) -> Path:
    """Write ``results`` with versions, machine and timestamp to ``benchmarks/results/<name>[.smoke].json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / (f"{name}.smoke.json" if smoke else f"{name}.json")
    payload = {
        "benchmark": name,
        "smoke": smoke,
        "command": "python " + " ".join([f"benchmarks/{name}.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": versions(),
        "machine": machine(),
        **results,
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    print(f"\nwrote {path.relative_to(REPO)}")
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; floats get two decimals."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.2f}"
        return str(value)

    body = [[cell(v) for v in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in body)) if body else len(str(h)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |",
        "| " + " | ".join("-" * w for w in widths) + " |",
    ]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in body]
    return "\n".join(lines)


def cv_primary_frame(
    texts: Sequence[str],
    frames: Sequence[Sequence[str]],
    primary: Sequence[str],
    *,
    folds: int = 5,
    params: dict[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Stratified k-fold CV of :class:`framing.FrameClassifier` on the primary frame.

    Folds are stratified on ``primary``. Each fold fits ``FrameClassifier(labels=<all frames>,
    random_state=seed, **params)`` on the frame lists with ``primary`` as the primary labels and
    predicts the held-out texts with ``predict_primary`` and ``predict_labels``.

    Returns the out-of-fold accuracy and macro-F1 of the primary frame, per-frame F1, and the
    micro-F1 of the predicted frame sets against the gold frame lists.
    """
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    from framing import FrameClassifier, frames_to_indicator

    names = sorted({f for fs in frames for f in fs})
    texts = list(texts)
    primary_arr = np.asarray(primary, dtype=object)
    pred = np.empty(len(texts), dtype=object)
    Y, _ = frames_to_indicator(frames, names)
    Y_pred = np.zeros_like(Y)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(texts)), primary_arr):
        model = FrameClassifier(labels=names, random_state=seed, **(params or {}))
        model.fit([texts[i] for i in train], [frames[i] for i in train], primary=primary_arr[train])
        held_out = [texts[i] for i in test]
        pred[test] = model.predict_primary(held_out)
        Y_pred[test] = model.predict(held_out)
    per_frame = f1_score(primary_arr, pred, labels=names, average=None, zero_division=0.0)
    majority = max(names, key=lambda n: int((primary_arr == n).sum()))
    return {
        "n": len(texts),
        "folds": folds,
        "params": params or {},
        "accuracy": float(accuracy_score(primary_arr, pred)),
        "macro_f1": float(f1_score(primary_arr, pred, labels=names, average="macro", zero_division=0.0)),
        "frame_set_micro_f1": float(f1_score(Y, Y_pred, average="micro", zero_division=0.0)),
        "per_frame_f1": {n: float(v) for n, v in zip(names, per_frame)},
        "majority_class": majority,
        "majority_accuracy": float((primary_arr == majority).mean()),
    }


def proc_status_mb(field: str = "VmRSS") -> float:
    """A memory field of /proc/self/status in MB (``VmRSS``: now, ``VmHWM``: peak); 0 without /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
