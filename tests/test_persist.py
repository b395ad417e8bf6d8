"""framing.persist: model files with a manifest, verified before anything is unpickled."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import joblib
import numpy as np
import pytest
import sklearn

import framing
import framing.persist as persist
from framing import ModelFileError, UnsafeModelError, load, read_manifest, save
from framing.persist import FORMAT_VERSION, manifest_path

TEXTS = [
    "We must not sell these bombs; they kill civilians.",
    "Approve the jet sale; deterrence keeps the peace.",
    "Bread prices rose again.",
    "",
]


class _Hostile:
    """Unpickling this runs a shell command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _HostileEval:
    def __reduce__(self):
        return (eval, ("__import__('pathlib').Path('MARKER').touch()",))


def _copy_model(src, dst_dir, name="model.joblib"):
    dst = dst_dir / name
    shutil.copyfile(src, dst)
    shutil.copyfile(manifest_path(src), manifest_path(dst))
    return dst


def _forge_manifest(model_file, template_manifest):
    """Write a manifest for ``model_file`` whose hash matches it, as an attacker could."""
    manifest = json.loads(template_manifest.read_text())
    data = model_file.read_bytes()
    manifest["file"] = {
        "name": model_file.name,
        "bytes": len(data),
        "sha256": "sha256:" + hashlib.sha256(data).hexdigest(),
    }
    manifest_path(model_file).write_text(json.dumps(manifest))


def _scores(analyzer):
    return [r.to_dict() for r in analyzer.score_many(TEXTS)]


def test_save_then_load_gives_identical_scores(analyzer, saved_model):
    loaded = load(saved_model)
    assert isinstance(loaded, framing.Analyzer)
    assert _scores(loaded) == _scores(analyzer)
    assert loaded.frames == analyzer.frames
    assert loaded.topics == analyzer.topics
    assert loaded.info["manifest"]["file"]["sha256"] == read_manifest(saved_model)["file"]["sha256"]


def test_manifest_contents(analyzer, corpus, saved_model):
    manifest = read_manifest(saved_model)
    assert manifest_path(saved_model).name == "model.manifest.json"
    assert manifest["format"] == "framing-model"
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["framing_version"] == framing.__version__
    assert manifest["sklearn_version"] == sklearn.__version__
    assert manifest["numpy_version"] == np.__version__
    assert set(manifest["topics"]) == {"arms_sales", "regional_stability"}
    assert manifest["topics"]["arms_sales"]["labels"] == ["favor", "against", "neutral"]
    assert manifest["topics"]["arms_sales"]["positive"] == "favor"
    assert manifest["frames"] == analyzer.frames
    assert manifest["corpus"]["digest"] == corpus.digest()
    assert manifest["corpus"]["n_documents"] == len(corpus)
    data = saved_model.read_bytes()
    assert manifest["file"]["sha256"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert manifest["file"]["bytes"] == len(data)
    assert manifest["file"]["name"] == "model.joblib"


def test_metrics_are_recorded(analyzer, tmp_path):
    save(analyzer, tmp_path / "m.joblib", metrics={"macro_f1": 0.5})
    assert read_manifest(tmp_path / "m.joblib")["metrics"] == {"macro_f1": 0.5}


def test_save_is_deterministic(corpus, tmp_path, saved_model):
    # saved_model holds the session's analyzer, trained on the same corpus with the same seed.
    save(framing.train(corpus, random_state=0), tmp_path / "again.joblib")
    assert (tmp_path / "again.joblib").read_bytes() == saved_model.read_bytes()


def test_save_is_deterministic_across_processes(saved_model, cli_trained):
    # `framing train` ran in another interpreter (another string-hash seed, other object
    # addresses) on the same corpus file with the same seed: the model file must be the same.
    model, proc = cli_trained
    assert proc.returncode == 0, proc.stderr
    assert model.read_bytes() == saved_model.read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:100] + bytes([data[100] ^ 0x01]) + data[101:],
        lambda data: data[:-1] + bytes([data[-1] ^ 0xFF]),
        lambda data: data + b"\x00",
        lambda data: data[:-10],
    ],
    ids=["flip-early-byte", "flip-last-byte", "append", "truncate"],
)
def test_a_changed_model_file_is_refused(saved_model, tmp_path, damage):
    path = _copy_model(saved_model, tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ModelFileError, match="does not match its manifest"):
        load(path)


def test_a_missing_manifest_is_refused(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    manifest_path(path).unlink()
    with pytest.raises(ModelFileError, match="no manifest"):
        load(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: "not json {", "not valid JSON"),
        (lambda m: json.dumps({**m, "format": "other"}), "not a framing model manifest"),
        (lambda m: json.dumps({**m, "format_version": 99}), "format version 99"),
        (lambda m: json.dumps({k: v for k, v in m.items() if k != "file"}), "file.sha256"),
    ],
)
def test_a_bad_manifest_is_refused(saved_model, tmp_path, edit, message):
    path = _copy_model(saved_model, tmp_path)
    manifest = json.loads(manifest_path(path).read_text())
    manifest_path(path).write_text(edit(manifest))
    with pytest.raises(ModelFileError, match=message):
        load(path)


def test_a_missing_model_file_or_a_directory_is_refused(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    path.unlink()
    with pytest.raises(ModelFileError, match="no such model file"):
        load(path)
    with pytest.raises(ModelFileError, match="directory"):
        load(tmp_path)


def test_a_hostile_pickle_with_a_forged_manifest_is_refused_before_it_runs(saved_model, tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.joblib"
    joblib.dump(_Hostile(f"touch {marker}"), evil)
    _forge_manifest(evil, manifest_path(saved_model))
    with pytest.raises(UnsafeModelError, match="system"):
        load(evil)
    assert not marker.exists()


def test_a_hostile_object_nested_in_an_allowed_container_is_refused(saved_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "evil.joblib"
    joblib.dump({"models": [1, 2, {"x": _HostileEval()}]}, evil)
    _forge_manifest(evil, manifest_path(saved_model))
    with pytest.raises(UnsafeModelError, match="eval"):
        load(evil)
    assert not (tmp_path / "MARKER").exists()


def test_a_hostile_object_inside_an_object_array_is_refused(saved_model, tmp_path):
    # joblib stores object arrays as a nested pickle; it must go through the same allow-list.
    marker = tmp_path / "pwned-array"
    arr = np.empty(2, dtype=object)
    arr[0] = "fine"
    arr[1] = _Hostile(f"touch {marker}")
    evil = tmp_path / "evil.joblib"
    joblib.dump({"coef": arr}, evil)
    _forge_manifest(evil, manifest_path(saved_model))
    with pytest.raises(UnsafeModelError):
        load(evil)
    assert not marker.exists()


def test_an_allowed_object_that_is_not_an_analyzer_is_refused(saved_model, tmp_path):
    other = tmp_path / "dict.joblib"
    joblib.dump({"a": [1, 2.0, "x"]}, other)
    _forge_manifest(other, manifest_path(saved_model))
    with pytest.raises(ModelFileError, match="not a framing Analyzer"):
        load(other)


def test_a_file_that_is_not_a_pickle_is_refused(saved_model, tmp_path):
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"this is not a model file at all")
    _forge_manifest(junk, manifest_path(saved_model))
    with pytest.raises(ModelFileError):
        load(junk)


def test_a_model_saved_with_another_sklearn_version_warns(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    manifest = json.loads(manifest_path(path).read_text())
    manifest["sklearn_version"] = "0.0.1"
    manifest_path(path).write_text(json.dumps(manifest))
    with pytest.warns(framing.ModelVersionWarning, match="0.0.1"):
        load(path)


def test_save_refuses_non_analyzers_and_directories(analyzer, tmp_path):
    with pytest.raises(TypeError, match="Analyzer"):
        save({"not": "an analyzer"}, tmp_path / "x.joblib")
    with pytest.raises(IsADirectoryError):
        save(analyzer, tmp_path)


def test_save_creates_parent_folders(analyzer, tmp_path):
    path = tmp_path / "a" / "b" / "model.joblib"
    save(analyzer, path)
    assert _scores(load(path)) == _scores(analyzer)


def _previous_and_other(corpus, tmp_path, saved_model):
    path = _copy_model(saved_model, tmp_path)
    before = _scores(load(path))
    other = framing.train(corpus.subset(range(0, 48, 2)), frames=False, random_state=1)
    return path, before, other


def test_an_interrupted_dump_leaves_the_previous_model_loadable(corpus, tmp_path, saved_model, monkeypatch):
    path, before, other = _previous_and_other(corpus, tmp_path, saved_model)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(persist.joblib, "dump", boom)
    with pytest.raises(KeyboardInterrupt):
        save(other, path)
    monkeypatch.undo()
    assert _scores(load(path)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.joblib", "model.manifest.json"]


def test_an_interrupted_model_file_write_leaves_the_previous_model_loadable(corpus, tmp_path, saved_model, monkeypatch):
    path, before, other = _previous_and_other(corpus, tmp_path, saved_model)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save(other, path)
    monkeypatch.undo()
    assert _scores(load(path)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.joblib", "model.manifest.json"]  # no temp files


def test_an_interruption_between_model_file_and_manifest_leaves_a_loadable_model(
    corpus, tmp_path, saved_model, monkeypatch
):
    # The save is cut after the new model file is in place but before its manifest is: the pair
    # on disk must still load (as the old model or the new one), not be a mismatch.
    path, before, other = _previous_and_other(corpus, tmp_path, saved_model)
    real_replace = os.replace
    calls = []

    def second_fails(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("killed")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", second_fails)
    with pytest.raises(OSError, match="killed"):
        save(other, path)
    monkeypatch.undo()
    loaded = load(path)
    assert _scores(loaded) in (before, _scores(other))
