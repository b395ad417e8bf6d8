"""The `framing` command, end to end: `python -m framing ...` in a subprocess, offline."""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import run_cli, write_jsonl

import framing
from framing.batch import output_columns
from framing.persist import manifest_path

BODIES = {
    "k1": "We must not sell these bombs; they kill civilians in a brutal war.",
    "k2": "Approve the fighter jet sale: deterrence keeps the peace.",
    "k3": "Bread prices rose again this month.",
}


def _run_all(jobs: dict[str, tuple]) -> dict:
    """Run several CLI calls at once (each in its own process) and return their results by name."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_cli, *args) for name, args in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="session")
def trained(cli_trained):
    return cli_trained


@pytest.fixture(scope="session")
def inputs(workdir) -> dict[str, Path]:
    d = workdir / "inputs"
    d.mkdir()
    txt = d / "op-ed.txt"
    txt.write_text(BODIES["k1"], encoding="utf-8")
    win = d / "windows.txt"
    win.write_bytes("\u201cNo\u201d to the jet sale \u2013 it will kill civilians.".encode("cp1252"))
    jsonl = d / "texts.jsonl"
    jsonl.write_text("".join(json.dumps({"key": k, "body": v}) + "\n" for k, v in BODIES.items()), encoding="utf-8")
    table = d / "texts.csv"
    with open(table, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["key", "outlet", "body"])
        w.writerows([k, "Daily", v] for k, v in BODIES.items())
    bad = d / "bad.jsonl"
    bad.write_text(
        json.dumps({"id": "a", "text": BODIES["k1"]}) + "\n"
        + '{"id": "b", "text": "unterminated\n'
        + json.dumps({"id": "c", "text": None}) + "\n"
        + json.dumps({"id": "d", "text": BODIES["k2"]}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    many = d / "many.jsonl"
    many.write_text(
        "".join(json.dumps({"id": f"m{i}", "text": list(BODIES.values())[i % 3] + f" {i}"}) + "\n" for i in range(12)),
        encoding="utf-8",
    )
    return {"txt": txt, "win": win, "jsonl": jsonl, "csv": table, "bad": bad, "many": many}


@pytest.fixture(scope="session")
def runs(trained, inputs, workdir, corpus_path):
    """The independent CLI calls, run concurrently once for the session."""
    model, _ = trained
    out = workdir / "out"
    out.mkdir()
    return _run_all(
        {
            "mixed": ("score", "-m", model, inputs["txt"], inputs["jsonl"], inputs["csv"], inputs["win"],
                      "--text-col", "body", "--id-col", "key"),
            "csv_out": ("score", "-m", model, inputs["jsonl"], "--text-col", "body", "--id-col", "key", "--format",
                        "csv", "-o", out / "scores.out"),
            "bad": ("score", "-m", model, inputs["bad"], "-o", out / "bad.jsonl"),
            "evaluate": ("evaluate", model, corpus_path),
            "evaluate_json": ("evaluate", model, corpus_path, "--json"),
            "info": ("info", model),
        }
    )  # fmt: skip


# --------------------------------------------------------------------------- train


def test_train_writes_a_loadable_model_and_manifest(trained, corpus):
    model, proc = trained
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"trained on {len(corpus)} texts" in proc.stderr
    assert model.exists() and manifest_path(model).exists()
    manifest = json.loads(manifest_path(model).read_text())
    assert manifest["corpus"]["digest"] == corpus.digest()
    analyzer = framing.load(model)
    assert set(analyzer.stance_models) == {"arms_sales", "regional_stability"}
    assert analyzer.score(BODIES["k1"]).stance["arms_sales"].label == "against"


def test_train_gives_the_same_scores_as_the_library(trained, analyzer):
    model, _ = trained
    loaded = framing.load(model)
    for text in BODIES.values():
        assert loaded.score(text).to_dict() == analyzer.score(text).to_dict()


# --------------------------------------------------------------------------- score


def test_score_text_jsonl_and_csv_inputs_to_stdout(runs, inputs):
    proc = runs["mixed"]
    assert proc.returncode == 0, proc.stderr
    out = _jsonl(proc.stdout)
    assert [o["id"] for o in out] == [str(inputs["txt"]), "k1", "k2", "k3", "k1", "k2", "k3", str(inputs["win"])]
    assert out[0]["source"] == str(inputs["txt"]) and out[0]["line"] is None
    assert [o["line"] for o in out[1:4]] == [1, 2, 3]
    assert [o["line"] for o in out[4:7]] == [2, 3, 4]  # the CSV header is line 1
    assert {o["source"] for o in out[4:7]} == {str(inputs["csv"])}
    assert out[0]["stance"]["arms_sales"]["label"] == "against"
    assert out[2]["stance"]["arms_sales"]["label"] == "favor"
    for o in out:
        assert "error" not in o
        assert set(o["stance"]) == {"arms_sales", "regional_stability"}
        assert sum(o["stance"]["arms_sales"]["probabilities"].values()) == pytest.approx(1.0)
        assert {"probabilities", "primary", "labels"} <= set(o["frames"])
    assert out[1]["stance"] == out[4]["stance"] == out[0]["stance"]  # same text, same scores


def test_score_non_utf8_input_warns_on_one_line_and_still_scores(runs, inputs):
    proc = runs["mixed"]
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "cp1252" in lines[0] and str(inputs["win"]) in lines[0]
    assert _jsonl(proc.stdout)[-1]["stance"]["arms_sales"]["label"] == "against"


def test_scores_match_the_library(runs, trained):
    analyzer = framing.load(trained[0])
    out = _jsonl(runs["mixed"].stdout)
    for o, text in zip(out[1:4], BODIES.values()):
        expected = analyzer.score(text).to_dict()
        assert o["stance"] == expected["stance"]
        assert o["frames"] == expected["frames"]


def test_score_csv_format_with_flattened_columns(runs, workdir, trained):
    proc = runs["csv_out"]
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    text = (workdir / "out" / "scores.out").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    columns = output_columns(framing.load(trained[0]))
    assert text.splitlines()[0] == ",".join(columns)
    assert "frame_p_security_and_defense" in columns and "regional_stability_p_stabilising" in columns
    assert [r["id"] for r in rows] == ["k1", "k2", "k3"]
    assert [r["line"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["arms_sales"] == "against" and rows[1]["arms_sales"] == "favor"
    for r in rows:
        p = {label: float(r[f"arms_sales_p_{label}"]) for label in ("favor", "against", "neutral")}
        assert sum(p.values()) == pytest.approx(1.0, abs=1e-5)
        assert float(r["arms_sales_score"]) == pytest.approx(p["favor"] - p["against"], abs=1e-5)
        assert r["primary_frame"]
        assert r["error"] == ""


def test_csv_output_is_inferred_from_the_output_suffix(trained, inputs, tmp_path, capsys):
    code, _, err = _main(["score", "-m", str(trained[0]), str(inputs["txt"]), "-o", str(tmp_path / "s.csv")], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == [str(inputs["txt"])]
    assert rows[0]["arms_sales"] == "against"


def test_bad_records_give_error_records_and_exit_1(runs, workdir, inputs):
    proc = runs["bad"]
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "2 of 4 records" in proc.stderr
    out = _jsonl((workdir / "out" / "bad.jsonl").read_text(encoding="utf-8"))
    assert len(out) == 4
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    assert [o["id"] for o in out] == ["a", f"{inputs['bad']}:2", "c", "d"]
    assert all(o["source"] == str(inputs["bad"]) for o in out)
    assert "not valid JSON" in out[1]["error"] and "stance" not in out[1]
    assert "null" in out[2]["error"] and "stance" not in out[2]
    assert "error" not in out[0] and "error" not in out[3]
    assert out[3]["stance"]["arms_sales"]["label"] == "favor"


def test_resume_appends_only_the_missing_records(trained, inputs, tmp_path):
    model, _ = trained
    full = tmp_path / "full.jsonl"
    part = tmp_path / "part.jsonl"
    proc = run_cli("score", "-m", model, inputs["many"], "-o", full, "--chunk-size", "5")
    assert proc.returncode == 0, proc.stderr
    lines = full.read_bytes().splitlines(keepends=True)
    assert len(lines) == 12
    # A run killed while writing record 6: five complete lines and half of the sixth.
    part.write_bytes(b"".join(lines[:5]) + lines[5][: len(lines[5]) // 2])
    proc = run_cli("score", "-m", model, inputs["many"], "-o", part, "--resume", "--chunk-size", "5")
    assert proc.returncode == 0, proc.stderr
    assert part.read_bytes() == full.read_bytes()
    ids = [o["id"] for o in _jsonl(part.read_text(encoding="utf-8"))]
    assert ids == [f"m{i}" for i in range(12)]


# --------------------------------------------------------------------------- evaluate and info


def test_evaluate_prints_a_table(runs):
    proc = runs["evaluate"]
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "documents: 48" in out
    assert "topic arms_sales  (n=48)" in out and "topic regional_stability  (n=48)" in out
    assert "confusion" in out and "macro-F1" in out
    assert "frames  (n=48)" in out and "primary accuracy" in out


def test_evaluate_json(runs, analyzer, corpus):
    from framing.evaluation import evaluate

    proc = runs["evaluate_json"]
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["n_documents"] == 48
    assert set(report["topics"]) == {"arms_sales", "regional_stability"}
    expected = evaluate(analyzer, corpus)
    assert report["topics"]["arms_sales"]["confusion_matrix"] == expected["topics"]["arms_sales"]["confusion_matrix"]
    assert report["frames"]["micro_f1"] == pytest.approx(expected["frames"]["micro_f1"])
    # The CLI's default 1,000 resamples and seed: the same intervals as the library's.
    assert report["topics"]["arms_sales"]["macro_f1_ci"] == pytest.approx(
        expected["topics"]["arms_sales"]["macro_f1_ci"]
    )
    assert report["frames"]["micro_f1_ci"] == pytest.approx(expected["frames"]["micro_f1_ci"])


def test_info(runs, trained, corpus):
    model, _ = trained
    proc = runs["info"]
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads(manifest_path(model).read_text())
    assert str(model) in proc.stdout
    assert manifest["file"]["sha256"] in proc.stdout
    assert f"framing {framing.__version__}" in proc.stdout
    assert corpus.digest() in proc.stdout
    assert "arms_sales: favor, against, neutral" in proc.stdout


def test_info_json(trained, capsys):
    model, _ = trained
    code, out, _ = _main(["info", str(model), "--json"], capsys)
    assert code == 0
    assert json.loads(out) == json.loads(manifest_path(model).read_text())


# --------------------------------------------------------------------------- usage errors


def _main(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run the command in this process; return (exit status, stdout, stderr)."""
    from framing.cli import main

    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="session")
def usage_dir(trained, workdir):
    model, _ = trained
    d = workdir / "usage"
    d.mkdir()
    (d / "bad-corpus.jsonl").write_text('{"id": "a", "text": "x", "stance": {"t": "a"}}\n{oops\n', encoding="utf-8")
    (d / "unknown.xyz").write_text("text", encoding="utf-8")
    (d / "nocol.csv").write_text("id,body\na,x\n", encoding="utf-8")
    write_jsonl(d / "other-topics.jsonl", [{"id": "a", "text": "x", "stance": {"weather": "sunny"}}])
    (d / "tampered.joblib").write_bytes(model.read_bytes() + b"\x00")
    (d / "tampered.manifest.json").write_bytes(manifest_path(model).read_bytes())
    return d


USAGE_CASES = {
    "no-inputs": (["score"], "FILE"),
    "unknown-command": (["explode"], "explode"),
    "unknown-option": (["score", "{txt}", "--no-such-option"], "--no-such-option"),
    "bad-int": (["score", "-m", "{model}", "{txt}", "--chunk-size", "many"], "many"),
    "missing-input": (["score", "-m", "{model}", "{d}/missing.txt"], "missing.txt: no such file"),
    "unknown-format": (["score", "-m", "{model}", "{d}/unknown.xyz"], "cannot tell the format"),
    "no-text-column": (["score", "-m", "{model}", "{d}/nocol.csv"], "no column 'text'"),
    "bad-chunk-size": (["score", "-m", "{model}", "{txt}", "--chunk-size", "0"], "--chunk-size"),
    "resume-without-output": (["score", "-m", "{model}", "{txt}", "--resume"], "--resume needs -o"),
    "missing-model": (["score", "-m", "{d}/nope.joblib", "{txt}"], "nope.joblib"),
    "tampered-model": (["score", "-m", "{d}/tampered.joblib", "{txt}"], "does not match its manifest"),
    "unwritable-output": (["score", "-m", "{model}", "{txt}", "-o", "{d}/no/such/dir/out.jsonl"], "cannot write"),
    "train-missing-corpus": (["train", "{d}/missing.jsonl", "-o", "{d}/m.joblib"], "no such file"),
    "train-bad-corpus": (["train", "{d}/bad-corpus.jsonl", "-o", "{d}/m.joblib"], "line 2: not valid JSON"),
    "train-bad-poles": (["train", "{jsonl}", "-o", "{d}/m.joblib", "--poles", "nonsense"], "--poles"),
    "evaluate-unknown-topics": (["evaluate", "{model}", "{d}/other-topics.jsonl"], "no labels the model knows"),
    "evaluate-missing-model": (["evaluate", "{d}/nope.joblib", "{jsonl}"], "no manifest"),
    "evaluate-bad-bootstrap": (["evaluate", "{model}", "{jsonl}", "--bootstrap", "-1"], "--bootstrap"),
    "info-missing": (["info", "{d}/nope.joblib"], "no manifest"),
}


def _argv(case, trained, inputs, usage_dir):
    argv, message = USAGE_CASES[case]
    values = {"model": trained[0], "txt": inputs["txt"], "jsonl": inputs["jsonl"], "d": usage_dir}
    return [a.format(**values) for a in argv], message


def _assert_one_line_usage_error(code, out, err, message):
    assert code == 2, (out, err)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("framing")
    assert message in lines[0]
    assert out == ""


@pytest.mark.parametrize("case", list(USAGE_CASES))
def test_usage_errors_exit_2_with_one_line(case, trained, inputs, usage_dir, capsys):
    argv, message = _argv(case, trained, inputs, usage_dir)
    code, out, err = _main(argv, capsys)
    _assert_one_line_usage_error(code, out, err, message)


def test_usage_errors_end_to_end_in_a_subprocess(trained, inputs, usage_dir):
    cases = ["no-inputs", "tampered-model"]
    results = _run_all({case: _argv(case, trained, inputs, usage_dir)[0] for case in cases})
    for case in cases:
        proc = results[case]
        _assert_one_line_usage_error(proc.returncode, proc.stdout, proc.stderr, USAGE_CASES[case][1])


def test_a_missing_input_does_not_overwrite_an_earlier_output_file(trained, usage_dir, capsys):
    previous = usage_dir / "previous.jsonl"
    previous.write_text('{"id": "keep me"}\n', encoding="utf-8")
    code, _, err = _main(["score", "-m", str(trained[0]), str(usage_dir / "missing.txt"), "-o", str(previous)], capsys)
    assert code == 2
    assert "no such file" in err
    assert previous.read_text(encoding="utf-8") == '{"id": "keep me"}\n'


def test_version(capsys):
    from framing.cli import main

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"framing {framing.__version__}"
