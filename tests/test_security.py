"""Hostile, damaged and mismatched model files; atomic saving (see SECURITY.md).

Every hostile file here comes with a manifest forged to match its SHA-256, as an attacker who
can change the model file can also change the manifest: the allow-list unpickler alone must
refuse it, before the payload runs.
"""

from __future__ import annotations

import builtins
import copy
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import sklearn
from conftest import run_cli

import framing
from framing import ModelFileError, ModelVersionWarning, UnsafeModelError, load, save
from framing.persist import manifest_path

SAMPLE_TEXTS = [
    "We must not sell these bombs; they kill civilians.",
    "Approve the jet sale; deterrence keeps the peace.",
    "Bread prices rose again.",
    "",
]


# --------------------------------------------------------------------------- helpers


class _Payload:
    """Unpickling this calls ``func(*args)``: what a hostile model file does."""

    def __init__(self, func, *args) -> None:
        self.func = func
        self.args = args

    def __reduce__(self):
        return (self.func, self.args)


def _touch_code(marker) -> str:
    return f"open({str(marker)!r}, 'w').close()"


def _forge_manifest(model_file, template_model) -> None:
    """Write a manifest for ``model_file`` whose hash matches it, as framing.save would."""
    manifest = json.loads(manifest_path(template_model).read_text(encoding="utf-8"))
    data = model_file.read_bytes()
    manifest["file"] = {
        "name": model_file.name,
        "bytes": len(data),
        "sha256": "sha256:" + hashlib.sha256(data).hexdigest(),
    }
    manifest_path(model_file).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _write_forged(path, data: bytes, template_model):
    path.write_bytes(data)
    _forge_manifest(path, template_model)
    return path


def _copy_model(src, dst_dir, name="model.joblib"):
    dst = dst_dir / name
    shutil.copyfile(src, dst)
    shutil.copyfile(manifest_path(src), manifest_path(dst))
    return dst


def _scores(analyzer):
    return [r.to_dict() for r in analyzer.score_many(SAMPLE_TEXTS)]


def _getattr_gadget(marker) -> bytes:
    """``getattr(__import__('os'), 'system')('touch MARKER')``, hand-written in protocol 0.

    An allowed global comes first, so the check cannot be only on the first global.
    """
    return (
        b"(cbuiltins\ndict\n)R"  # an allowed call: dict()
        b"cbuiltins\ngetattr\n(cbuiltins\n__import__\n(Vos\ntRVsystem\ntR"
        b"(Vtouch " + str(marker).encode() + b"\ntRt."
    )


def _unknown_module_pickle(protocol: int) -> bytes:
    if protocol == 0:
        return b"cevil.module\nthing\n(tR."
    # protocol 4+: STACK_GLOBAL with SHORT_BINUNICODE names.
    mod, name = b"evil.module", b"thing"
    return (
        b"\x80\x04"
        + b"\x8c"
        + bytes([len(mod)])
        + mod
        + b"\x8c"
        + bytes([len(name)])
        + name
        + b"\x93)R."  # STACK_GLOBAL, EMPTY_TUPLE, REDUCE, STOP
    )


# --------------------------------------------------------------------------- hostile payloads


def _payload_cases(marker):
    """(id, object to dump, the refused global as the error names it)."""
    touch = ["touch", str(marker)]
    return {
        "os.system": (_Payload(os.system, f"touch {marker}"), "system"),
        "subprocess.Popen": (_Payload(subprocess.Popen, touch), "subprocess.Popen"),
        "subprocess.check_call": (_Payload(subprocess.check_call, touch), "subprocess.check_call"),
        "builtins.eval": (_Payload(builtins.eval, _touch_code(marker)), "builtins.eval"),
        "builtins.exec": (_Payload(builtins.exec, _touch_code(marker)), "builtins.exec"),
    }


PAYLOAD_IDS = ["os.system", "subprocess.Popen", "subprocess.check_call", "builtins.eval", "builtins.exec"]


@pytest.mark.parametrize("compress", [0, 3], ids=["raw", "zlib"])
@pytest.mark.parametrize("kind", PAYLOAD_IDS)
def test_a_hostile_joblib_file_is_refused_naming_the_type_before_it_runs(saved_model, tmp_path, kind, compress):
    marker = tmp_path / "pwned"
    obj, refused = _payload_cases(marker)[kind]
    evil = tmp_path / "evil.joblib"
    joblib.dump(obj, evil, compress=compress)
    _forge_manifest(evil, saved_model)
    with pytest.raises(UnsafeModelError, match=refused.replace(".", r"\.")) as info:
        load(evil)
    assert str(evil) in str(info.value)
    assert not marker.exists()


def test_a_getattr_gadget_is_refused_before_it_runs(saved_model, tmp_path):
    marker = tmp_path / "pwned"
    evil = _write_forged(tmp_path / "evil.joblib", _getattr_gadget(marker), saved_model)
    with pytest.raises(UnsafeModelError, match=r"builtins\.getattr"):
        load(evil)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 4])
def test_an_unknown_module_is_refused_without_importing_it(saved_model, tmp_path, protocol):
    evil = _write_forged(tmp_path / "evil.joblib", _unknown_module_pickle(protocol), saved_model)
    with pytest.raises(UnsafeModelError, match=r"evil\.module\.thing"):
        load(evil)


@pytest.mark.parametrize("protocol", [0, 2, 5])
@pytest.mark.parametrize("kind", ["os.system", "builtins.eval", "subprocess.Popen"])
def test_plain_pickle_protocols_with_a_payload_are_refused(saved_model, tmp_path, protocol, kind):
    marker = tmp_path / "pwned"
    obj, refused = _payload_cases(marker)[kind]
    evil = _write_forged(tmp_path / "evil.joblib", pickle.dumps({"model": obj}, protocol=protocol), saved_model)
    # Protocols < 3 spell some names the Python 2 way (__builtin__.eval, commands.Popen).
    with pytest.raises(UnsafeModelError, match=refused.split(".")[-1]):
        load(evil)
    assert not marker.exists()


@pytest.mark.parametrize("kind", ["os.system", "builtins.exec"])
def test_a_payload_nested_in_an_object_array_is_refused(saved_model, tmp_path, kind):
    # joblib writes object arrays as a nested pickle: it must go through the allow-list too.
    marker = tmp_path / "pwned"
    obj, refused = _payload_cases(marker)[kind]
    arr = np.array([None, obj], dtype=object)
    arr[0] = "harmless"
    evil = tmp_path / "evil.joblib"
    joblib.dump({"coef": np.zeros(3), "classes": arr}, evil, compress=3)
    _forge_manifest(evil, saved_model)
    with pytest.raises(UnsafeModelError, match=refused.replace(".", r"\.")):
        load(evil)
    assert not marker.exists()


@pytest.mark.parametrize("where", ["info", "object-array-in-info", "topics"])
def test_a_payload_inside_an_otherwise_valid_analyzer_is_refused(analyzer, saved_model, tmp_path, where):
    marker = tmp_path / "pwned"
    payload = _Payload(os.system, f"touch {marker}")
    evil_analyzer = copy.copy(analyzer)  # shallow: the session analyzer is not changed
    evil_analyzer.info = dict(analyzer.info)
    evil_analyzer.topics = dict(analyzer.topics)
    if where == "info":
        evil_analyzer.info["x"] = payload
    elif where == "object-array-in-info":
        evil_analyzer.info["x"] = np.array([payload], dtype=object)
    else:
        evil_analyzer.topics["extra"] = payload
    evil = tmp_path / "evil.joblib"
    joblib.dump(evil_analyzer, evil, compress=3)
    _forge_manifest(evil, saved_model)
    with pytest.raises(UnsafeModelError, match="system"):
        load(evil)
    assert not marker.exists()
    assert "x" not in analyzer.info


# --------------------------------------------------------------------------- damaged or foreign files


def _assert_clean_model_error(path):
    """load(path) raises a ModelFileError (not some exception from deep inside) naming the file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            load(path)
        except ModelFileError as exc:
            message = str(exc)
        except Exception as exc:  # pragma: no cover - the failure being tested for
            pytest.fail(f"load raised {type(exc).__name__}: {exc} instead of a ModelFileError")
        else:  # pragma: no cover
            pytest.fail("load accepted a damaged file")
    assert str(path) in message or str(manifest_path(path)) in message, message
    assert "\n" not in message
    return message


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_plain_pickle_of_an_analyzer_is_refused_or_loads_faithfully(analyzer, saved_model, tmp_path, protocol):
    # Not a joblib file, but a pickle of allowed types only: a clear ModelFileError, or a model
    # that scores exactly like the original; never another exception.
    path = _write_forged(tmp_path / "plain.joblib", pickle.dumps(analyzer, protocol=protocol), saved_model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            loaded = load(path)
        except ModelFileError as exc:
            assert str(path) in str(exc)
        else:
            assert _scores(loaded) == _scores(analyzer)


def test_a_plain_pickle_of_something_else_is_refused(saved_model, tmp_path):
    path = _write_forged(tmp_path / "plain.joblib", pickle.dumps({"a": [1, 2.0]}, protocol=0), saved_model)
    assert "not a framing Analyzer" in _assert_clean_model_error(path)


def test_a_plain_pickle_in_place_of_the_model_fails_the_hash_check(analyzer, saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    path.write_bytes(pickle.dumps(analyzer))
    assert "does not match its manifest" in _assert_clean_model_error(path)


DAMAGE = {
    "zero-bytes": lambda data: b"",
    "one-byte": lambda data: data[:1],
    "truncated-header": lambda data: data[:3],
    "truncated-early": lambda data: data[:500],
    "truncated-half": lambda data: data[: len(data) // 2],
    "truncated-end": lambda data: data[:-200],
    "junk": lambda data: bytes(range(256)) * 4,
    "text": lambda data: b"this is not a model file at all\n",
    "gzip-header": lambda data: b"\x1f\x8b" + b"junk" * 10,
    "bz2-header": lambda data: b"BZh9" + b"junk" * 10,
    "xz-header": lambda data: b"\xfd7zXZ\x00" + b"junk" * 10,
    "lz4-header": lambda data: b"\x04\x22\x4d\x18" + b"junk" * 10,
    "old-joblib-zfile-header": lambda data: b"ZF0x00000010" + b"junk" * 10,
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_a_damaged_file_with_a_forged_manifest_is_a_clear_model_file_error(saved_model, tmp_path, damage):
    path = _write_forged(tmp_path / "model.joblib", DAMAGE[damage](saved_model.read_bytes()), saved_model)
    _assert_clean_model_error(path)


CLI_DAMAGE = ["zero-bytes", "old-joblib-zfile-header", "lz4-header"]


@pytest.fixture(scope="module")
def cli_model_runs(tmp_path_factory, saved_model):
    """`framing score -m` with a hostile model and with damaged ones (forged manifests), run at once."""
    cases = {}
    d = tmp_path_factory.mktemp("cli-hostile")
    marker = d / "pwned"
    evil = d / "evil.joblib"
    joblib.dump(_Payload(os.system, f"touch {marker}"), evil, compress=3)
    _forge_manifest(evil, saved_model)
    cases["hostile"] = evil
    for damage in CLI_DAMAGE:
        d = tmp_path_factory.mktemp(f"cli-{damage}")
        cases[damage] = _write_forged(d / "model.joblib", DAMAGE[damage](saved_model.read_bytes()), saved_model)
    text = tmp_path_factory.mktemp("cli-input") / "in.txt"
    text.write_text("Stop the bomb sale.", encoding="utf-8")
    with ThreadPoolExecutor(len(cases)) as pool:
        futures = {name: pool.submit(run_cli, "score", "-m", path, text) for name, path in cases.items()}
        return {name: (cases[name], f.result()) for name, f in futures.items()}, marker


def _assert_one_line_error(path, proc):
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("framing: error:"), proc.stderr
    assert str(path) in lines[0], proc.stderr
    return lines[0]


def test_the_cli_refuses_a_hostile_model_in_one_line(cli_model_runs):
    runs, marker = cli_model_runs
    path, proc = runs["hostile"]
    line = _assert_one_line_error(path, proc)
    assert "system" in line and "refusing" in line
    assert not marker.exists()


@pytest.mark.parametrize("damage", CLI_DAMAGE)
def test_the_cli_reports_a_damaged_model_in_one_line(cli_model_runs, damage):
    path, proc = cli_model_runs[0][damage]
    _assert_one_line_error(path, proc)


def test_a_wrong_sha256_is_refused(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    manifest = json.loads(manifest_path(path).read_text())
    manifest["file"]["sha256"] = "sha256:" + "0" * 64
    manifest_path(path).write_text(json.dumps(manifest))
    message = _assert_clean_model_error(path)
    assert "does not match its manifest" in message and "0" * 64 in message


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: None, "no manifest"),
        (lambda m: "not json {", "not valid JSON"),
        (lambda m: "", "not valid JSON"),
        (lambda m: b"\xff\xfe\x00junk", "not valid JSON"),
        (lambda m: json.dumps([m]), "not a framing model manifest"),
        (lambda m: json.dumps({**m, "format_version": 2}), "format version 2"),
        (lambda m: json.dumps({**m, "format_version": "1"}), "format version '1'"),
        (lambda m: json.dumps({k: v for k, v in m.items() if k != "format_version"}), "format version None"),
        (lambda m: json.dumps({**m, "file": {"sha256": None}}), "file.sha256"),
        (lambda m: json.dumps({**m, "file": "sha256:abc"}), "file.sha256"),
    ],
    ids=[
        "missing",
        "not-json",
        "empty",
        "not-utf8",
        "a-list",
        "format-version-2",
        "format-version-string",
        "no-format-version",
        "null-sha",
        "file-not-object",
    ],
)
def test_a_missing_or_bad_manifest_is_refused(saved_model, tmp_path, edit, message):
    path = _copy_model(saved_model, tmp_path)
    mpath = manifest_path(path)
    new = edit(json.loads(mpath.read_text()))
    if new is None:
        mpath.unlink()
    elif isinstance(new, bytes):
        mpath.write_bytes(new)
    else:
        mpath.write_text(new, encoding="utf-8")
    got = _assert_clean_model_error(path)
    assert message in got, got


# --------------------------------------------------------------------------- versions


def test_another_sklearn_version_warns_naming_both_versions(analyzer, saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    manifest = json.loads(manifest_path(path).read_text())
    manifest["sklearn_version"] = "1.0.2"
    manifest_path(path).write_text(json.dumps(manifest))
    with pytest.warns(ModelVersionWarning) as record:
        loaded = load(path)
    messages = [str(w.message) for w in record if issubclass(w.category, ModelVersionWarning)]
    assert len(messages) == 1, messages
    assert "1.0.2" in messages[0] and sklearn.__version__ in messages[0]
    assert _scores(loaded) == _scores(analyzer)


def test_the_same_sklearn_version_does_not_warn(saved_model):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        load(saved_model)


# --------------------------------------------------------------------------- atomic saving


@pytest.mark.filterwarnings("ignore::framing.TrainingDataWarning")
@pytest.mark.parametrize("failing_call", [1, 2], ids=["model-rename", "manifest-rename"])
@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_an_interrupted_save_keeps_the_previous_model(
    analyzer, corpus, saved_model, tmp_path, monkeypatch, failing_call, error
):
    path = _copy_model(saved_model, tmp_path)
    before_bytes = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    before = _scores(load(path))
    other = framing.train(corpus.subset(range(0, 48, 2)), frames=False, random_state=1)
    assert _scores(other) != before

    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst):
        calls.append((src, dst))
        if len(calls) == failing_call:
            raise error("interrupted")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(error):
        save(other, path)
    monkeypatch.undo()
    assert len(calls) >= failing_call
    # The previous pair is back, byte for byte, and loads with its old scores.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.joblib", "model.manifest.json"]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before_bytes
    assert _scores(load(path)) == before


def test_an_interrupted_first_save_leaves_nothing_behind(analyzer, tmp_path, monkeypatch):
    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        save(analyzer, tmp_path / "model.joblib")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.filterwarnings("ignore::framing.TrainingDataWarning")
def test_a_successful_save_over_a_model_leaves_no_temporary_files(analyzer, corpus, saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    other = framing.train(corpus.subset(range(0, 48, 2)), frames=False, random_state=1)
    save(other, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.joblib", "model.manifest.json"]
    assert _scores(load(path)) == _scores(other)
