"""The bundled models: present, verified, trained on the corpus they claim, and rebuildable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sklearn

import framing
from framing.persist import bundled_model_path, read_manifest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus.jsonl"
SPLITS = ROOT / "data" / "splits.json"
EXAMPLE = ROOT / "examples" / "oped.txt"


@pytest.fixture(scope="module")
def bundled():
    return framing.load()


@pytest.fixture(scope="module")
def manifest():
    return read_manifest(bundled_model_path())


@pytest.fixture(scope="module")
def train_dev():
    """The train+dev part of the corpus, by the fixed deal-grouped splits."""
    corpus = framing.read_corpus(CORPUS)
    splits = json.loads(SPLITS.read_text(encoding="utf-8"))["deals"]
    return corpus.subset([i for i, extra in enumerate(corpus.extra) if splits[extra["deal"]] != "test"])


def test_bundled_model_has_the_bundled_topics_and_all_fifteen_frames(bundled):
    assert set(bundled.stance_models) == set(framing.BUNDLED_TOPICS)
    for name, topic in framing.BUNDLED_TOPICS.items():
        assert sorted(bundled.stance_models[name].classes_) == sorted(topic.labels)
    assert sorted(bundled.frames) == sorted(framing.BUNDLED_FRAMES)


def test_bundled_model_file_is_small_enough_to_ship():
    assert bundled_model_path().stat().st_size < 10 * 1024 * 1024


def test_manifest_names_exactly_the_training_corpus(manifest, train_dev):
    # The model card's numbers are only honest if the model was trained on train+dev and
    # nothing else: the digest of those records must be the one the manifest records.
    assert manifest["corpus"]["digest"] == train_dev.digest()
    assert manifest["corpus"]["n_documents"] == len(train_dev)


def test_no_deal_is_in_two_splits():
    corpus = framing.read_corpus(CORPUS)
    splits = json.loads(SPLITS.read_text(encoding="utf-8"))["deals"]
    seen: dict[str, set[str]] = {}
    for extra in corpus.extra:
        seen.setdefault(extra["deal"], set()).add(splits[extra["deal"]])
    assert all(len(s) == 1 for s in seen.values())
    assert {s for v in seen.values() for s in v} == {"train", "dev", "test"}


def test_example_op_ed_gets_both_stances_and_fifteen_frame_probabilities(bundled):
    result = bundled.score(EXAMPLE.read_text(encoding="utf-8"))
    assert set(result.stance) == {"arms_sales", "regional_stability"}
    assert len(result.frames.probabilities) == 15
    assert result.frames.primary in result.frames.labels


def test_rebuilding_from_the_corpus_gives_the_same_scores(bundled, manifest, train_dev):
    # Rebuild with the recorded parameters and seed (what scripts/train_bundled.py does after
    # its grid search) and compare scores on held-out texts: the same data and seed must give
    # the same model, with the same library versions.
    if manifest["sklearn_version"] != sklearn.__version__ or manifest["numpy_version"] != np.__version__:
        pytest.skip("the bundled model was built with other scikit-learn/numpy versions; scores may differ slightly")
    params = {
        section: {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        for section, values in manifest["params"].items()
        if section in {"features", "stance", "frames"}
    }
    params["topics"] = manifest["params"]["topics"]
    rebuilt = framing.train(train_dev, params=params, random_state=manifest["random_state"])
    corpus = framing.read_corpus(CORPUS)
    probe = corpus.texts[:: max(1, len(corpus) // 60)]
    assert [r.to_dict() for r in rebuilt.score_many(probe)] == [r.to_dict() for r in bundled.score_many(probe)]


def test_installed_package_loads_its_bundled_models_from_any_folder(tmp_path):
    # After `pip install .` (as CI does), the models travel inside the package: loading them
    # must not depend on the checkout or the working folder.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = "import framing; a = framing.load(); print(framing.__file__); print(a.info['path'])"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    if proc.returncode != 0 and "No module named 'framing'" in proc.stderr:
        pytest.skip("framing is not installed in this environment (run from a checkout)")
    assert proc.returncode == 0, proc.stderr
    package_file, model_path = proc.stdout.split()
    if Path(package_file).resolve().is_relative_to(ROOT):
        pytest.skip("the framing on the path is the checkout itself (editable install)")
    assert Path(model_path).resolve().is_relative_to(Path(package_file).resolve().parent)
