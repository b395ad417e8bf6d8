"""The notebooks in notebooks/: committed without outputs, and each runs top to bottom offline.

Each notebook is executed in a fresh ``python3`` kernel (the one ipykernel provides), started in
the notebooks folder with NLTK_DATA pointing at an empty folder, so a notebook that needed nltk
data, a network or a file outside the repository would fail here. The execution tests are skipped
when the notebook extras (``pip install 'framing[notebook]'``) are not installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {"01_quick_start.ipynb", "02_train_your_own.ipynb", "03_explore_a_corpus.ipynb"}


def _read(path: Path):
    nbformat = pytest.importorskip("nbformat")
    return nbformat.read(path, as_version=4)


def test_the_notebooks_are_there():
    assert {p.name for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = _read(path)
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {i} has outputs; clear them before committing"
            assert cell.execution_count is None, f"{path.name}: cell {i} has an execution count; clear it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_offline(path, tmp_path):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    nb = _read(path)
    empty_nltk_data = tmp_path / "nltk_data"
    empty_nltk_data.mkdir()
    env = dict(os.environ)
    env["NLTK_DATA"] = str(empty_nltk_data)
    # The checkout's framing, whether or not it is installed (as conftest.py does for the tests).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    # One BLAS thread unless told otherwise: the models are small, and on a busy machine (parallel
    # CI jobs) multi-threaded BLAS makes the lbfgs fits of notebook 02 several times slower.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    before = sorted(NOTEBOOK_DIR.iterdir())
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK_DIR)}}
    )
    client.execute(env=env)  # raises CellExecutionError, naming the cell, if any cell fails
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert sorted(NOTEBOOK_DIR.iterdir()) == before, "the notebook left files in notebooks/"
