"""`framing score` on larger inputs: a real SIGKILL then --resume, worker processes, input kinds.

Every run is `python -m framing score` in a subprocess (offline: NLTK_DATA is an empty folder),
with the bundled model, in the folder that holds the input, so that the ``source`` field of
every output record is the same relative path in every run and outputs compare exactly.

The kills are real SIGKILLs of a running `framing score`. Its writes reach the file in buffered
blocks that nearly always end at a line end, so the JSONL and CSV kill tests then add half of
the next line themselves (a torn write, as a kill inside a write or a full disk leaves), which
--resume must cut off; the two-worker kill test resumes from exactly what the kill left.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT, cli_env, run_cli

N_INPUT = 3000
INPUT = "input.jsonl"
CHUNK = ["--chunk-size", "50"]
MIN_LINES_AT_KILL = 300


# --------------------------------------------------------------------------- helpers


def _input_lines(n: int = N_INPUT, seed: int = 7) -> list[str]:
    """``n`` JSONL records cut from the corpus texts (20-120 words), with error records and blank lines."""
    with open(ROOT / "data" / "corpus.jsonl", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"].split() for line in fh if line.strip()]
    rng = random.Random(seed)
    lines: list[str] = []
    for i in range(n):
        rid = f"s{i:05d}" + ("-é" if i % 50 == 0 else "")  # some ids with a two-byte character
        if i % 97 == 13:
            lines.append(json.dumps({"id": rid, "text": None}))
        elif i % 131 == 29:
            lines.append('{"id": "' + rid + '", "text": "cut off')  # not valid JSON
        else:
            words = rng.choice(texts)
            k = rng.randint(20, 120)
            a = rng.randrange(max(1, len(words) - k))
            lines.append(json.dumps({"id": rid, "text": " ".join(words[a : a + k])}, ensure_ascii=False))
        if i % 500 == 250:
            lines.append("")  # a blank line is not a record
    return lines


def _expected_ids(lines: list[str], source: str) -> list[str]:
    """The id of the output record of each input record, in order (what iter_records gives)."""
    ids = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            ids.append(json.loads(line)["id"])
        except json.JSONDecodeError:
            ids.append(f"{source}:{lineno}")
    return ids


def _read_jsonl(path: Path) -> list[dict]:
    data = path.read_bytes().decode("utf-8")
    assert data.endswith("\n"), "the output must end with a complete line"
    return [json.loads(line) for line in data[:-1].split("\n")]


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _popen(*args: str, cwd: Path, new_session: bool = False) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "framing", *args],
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=new_session,
    )


def _kill_mid_write(proc: subprocess.Popen, out: Path, min_lines: int = MIN_LINES_AT_KILL) -> bytes:
    """SIGKILL ``proc`` once ``out`` holds ``min_lines`` lines, preferably while its last line is half-written.

    Returns the bytes the killed run left behind.
    """
    deadline = time.monotonic() + 90
    try:
        while True:
            assert proc.poll() is None, f"the run ended (status {proc.returncode}) before it could be killed"
            assert time.monotonic() < deadline, "no output within 90 s"
            data = out.read_bytes() if out.exists() else b""
            lines = data.count(b"\n")
            # Kill while the last line is half-written if that is seen (the writer's buffered writes
            # mostly end at a line end, so it is rare), else soon after min_lines.
            if lines >= min_lines and (not data.endswith(b"\n") or lines >= min_lines + 100):
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return out.read_bytes()


def _tear(out: Path, reference: Path) -> bytes:
    """If ``out`` ends at a line end, append half of the reference's next line: a torn write.

    A kill (or a full disk, or a crash of the machine) during a write can leave part of a line;
    --resume must cut it off. Returns the bytes of ``out`` afterwards.
    """
    data = out.read_bytes()
    if data.endswith(b"\n"):
        ref = reference.read_bytes()
        assert ref.startswith(data)
        next_line = ref[len(data) : ref.index(b"\n", len(data)) + 1]
        out.write_bytes(data + next_line[: len(next_line) // 2])
    return out.read_bytes()


def _process_group(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in "ZX":
            found.append(int(entry))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")[:90]
    except OSError:
        return "?"


def _run_all(cwd: Path, jobs: dict[str, tuple]) -> dict[str, subprocess.CompletedProcess]:
    """Run several `framing` calls at once (two at a time) in ``cwd``."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_cli, *args, cwd=cwd) for name, args in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A folder with the 3,000-record input, and the uninterrupted reference runs (JSONL and CSV) in it."""
    folder = tmp_path_factory.mktemp("scale")
    lines = _input_lines()
    (folder / INPUT).write_text("\n".join(lines) + "\n", encoding="utf-8")
    procs = _run_all(
        folder,
        {
            "jsonl": ("score", INPUT, "-o", "ref.jsonl", *CHUNK),
            "csv": ("score", INPUT, "-o", "ref.csv", "--format", "csv", *CHUNK),
        },
    )
    for proc in procs.values():
        # Exit status 1: some records are error records (null texts, bad JSON lines).
        assert proc.returncode == 1, proc.stderr
        assert "could not be scored" in proc.stderr
    return folder


@pytest.fixture(scope="module")
def expected_ids(work) -> list[str]:
    ids = _expected_ids((work / INPUT).read_text(encoding="utf-8").split("\n"), INPUT)
    assert len(ids) == N_INPUT
    return ids


@pytest.fixture(scope="module")
def reference(work, expected_ids) -> list[dict]:
    records = _read_jsonl(work / "ref.jsonl")
    assert [r["id"] for r in records] == expected_ids
    assert sum(r.get("error") is not None for r in records) == sum(
        1 for i in range(N_INPUT) if i % 97 == 13 or i % 131 == 29
    )
    return records


@pytest.fixture(scope="module")
def reference_csv(work, expected_ids) -> tuple[list[str], list[list[str]]]:
    header, rows = _read_csv(work / "ref.csv")
    assert [row[0] for row in rows] == expected_ids
    return header, rows


# --------------------------------------------------------------------------- kill and resume


def test_sigkill_then_resume_gives_the_uninterrupted_jsonl(work, reference, expected_ids):
    out = work / "killed.jsonl"
    _kill_mid_write(_popen("score", INPUT, "-o", out.name, *CHUNK, cwd=work), out)
    left = _tear(out, work / "ref.jsonl")
    assert not left.endswith(b"\n")
    complete = left.count(b"\n")
    assert MIN_LINES_AT_KILL <= complete < N_INPUT
    # What the kill left is a prefix of the reference, with a torn last line.
    assert (work / "ref.jsonl").read_bytes().startswith(left)

    proc = run_cli("score", INPUT, "-o", out.name, *CHUNK, "--resume", cwd=work)
    assert proc.returncode == 1, proc.stderr  # error records among the remaining ones

    records = _read_jsonl(out)  # every line is valid JSON
    ids = [r["id"] for r in records]
    assert len(records) == N_INPUT
    assert len(set(ids)) == N_INPUT
    assert ids == expected_ids
    assert records == reference
    assert out.read_bytes() == (work / "ref.jsonl").read_bytes()


def test_sigkill_then_resume_gives_the_uninterrupted_csv(work, reference_csv, expected_ids):
    out = work / "killed.csv"
    _kill_mid_write(_popen("score", INPUT, "-o", out.name, "--format", "csv", *CHUNK, cwd=work), out)
    left = _tear(out, work / "ref.csv")
    assert not left.endswith(b"\n")
    assert MIN_LINES_AT_KILL <= left.count(b"\n") < N_INPUT + 1
    assert (work / "ref.csv").read_bytes().startswith(left)

    proc = run_cli("score", INPUT, "-o", out.name, "--format", "csv", *CHUNK, "--resume", cwd=work)
    assert proc.returncode == 1, proc.stderr

    header, rows = _read_csv(out)
    ref_header, ref_rows = reference_csv
    assert header == ref_header
    assert header not in rows  # the header is written once
    assert all(len(row) == len(header) for row in rows)
    ids = [row[0] for row in rows]
    assert len(set(ids)) == len(ids) == N_INPUT
    assert ids == expected_ids
    assert rows == ref_rows
    assert out.read_bytes() == (work / "ref.csv").read_bytes()


def test_resume_on_a_completed_output_adds_nothing(work, reference):
    shutil.copy(work / "ref.jsonl", work / "done.jsonl")
    shutil.copy(work / "ref.csv", work / "done.csv")
    procs = _run_all(
        work,
        {
            "jsonl": ("score", INPUT, "-o", "done.jsonl", *CHUNK, "--resume"),
            "csv": ("score", INPUT, "-o", "done.csv", "--format", "csv", *CHUNK, "--resume"),
        },
    )
    for name, proc in procs.items():
        assert proc.returncode == 0, proc.stderr  # nothing scored, so no error records either
        assert (work / f"done.{name}").read_bytes() == (work / f"ref.{name}").read_bytes()


def test_resume_of_a_half_written_csv_row_with_a_line_break_in_a_field(tmp_path):
    # An id may hold a line break (JSON "\n", or a quoted CSV field); the CSV output then quotes
    # it over two lines. A run killed after the first of them left a row that is not complete,
    # although the file ends with a newline: --resume must drop it and write it again.
    lines = [
        json.dumps({"id": f"r{i}\nsecond line" if i % 5 == 2 else f"r{i}", "text": "Stop the sale."}) for i in range(20)
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli("score", "in.jsonl", "-o", "ref.csv", "--chunk-size", "4", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ref = (tmp_path / "ref.csv").read_bytes()
    cut = ref.index(b'"r12\n') + len(b'"r12\n')  # inside the quoted id of record 12
    (tmp_path / "out.csv").write_bytes(ref[:cut])

    proc = run_cli("score", "in.jsonl", "-o", "out.csv", "--chunk-size", "4", "--resume", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    _header, rows = _read_csv(tmp_path / "out.csv")
    assert [row[0] for row in rows] == [json.loads(line)["id"] for line in lines]
    assert (tmp_path / "out.csv").read_bytes() == ref


# --------------------------------------------------------------------------- worker processes


@pytest.fixture(scope="module")
def killed_two_worker_run(work):
    """A `--n-jobs 2` run SIGKILLed mid-write (its main process only, as the OOM killer or `kill -9 PID` do).

    Returns the output it left and the processes of its process group still alive 3 s later.
    """
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")
    out = work / "killed-j2.jsonl"
    proc = _popen("score", INPUT, "-o", out.name, *CHUNK, "--n-jobs", "2", cwd=work, new_session=True)
    pgid = proc.pid  # its own process group: the main process, forkserver, workers, resource tracker
    try:
        left = _kill_mid_write(proc, out)
        deadline = time.monotonic() + 3
        while _process_group(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [(pid, _cmdline(pid)) for pid in _process_group(pgid)]
    finally:
        for pid in _process_group(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return out, left, survivors


def test_two_workers_killed_then_resumed_with_two_workers_give_the_one_worker_output(
    work, killed_two_worker_run, reference, expected_ids
):
    # Every record of the final file comes from a --n-jobs 2 run: the first ones from the killed
    # run, the rest from the resumed one. Order, count and error records (null texts, bad JSON
    # lines) must be those of the --n-jobs 1 reference.
    out, left, _ = killed_two_worker_run
    assert MIN_LINES_AT_KILL <= left.count(b"\n") < N_INPUT
    assert (work / "ref.jsonl").read_bytes().startswith(left)

    proc = run_cli("score", INPUT, "-o", out.name, *CHUNK, "--n-jobs", "2", "--resume", cwd=work)
    assert proc.returncode == 1, proc.stderr
    records = _read_jsonl(out)
    assert [r["id"] for r in records] == expected_ids
    assert records == reference
    assert out.read_bytes() == (work / "ref.jsonl").read_bytes()


def test_workers_exit_when_the_main_process_is_killed(killed_two_worker_run):
    # Each worker holds a copy of the model (about 220 MB); orphaned, they would hold it for ever.
    _, _, survivors = killed_two_worker_run
    assert not survivors, f"processes of the killed run still alive 3 s later: {survivors}"


# --------------------------------------------------------------------------- input kinds


def test_gzip_folder_glob_and_stdin_inputs_give_one_output_per_record(work, reference):
    lines = (work / INPUT).read_text(encoding="utf-8").split("\n")[:-1]
    part_a, part_c, part_d = lines[:100], lines[100:220], lines[220:300]
    folder = work / "kinds"
    (folder / "parts" / "b").mkdir(parents=True)
    with gzip.open(folder / "small.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines[:300]) + "\n")
    (folder / "parts" / "a.jsonl").write_text("\n".join(part_a) + "\n", encoding="utf-8")
    (folder / "parts" / "b" / "c.jsonl").write_text("\n".join(part_c) + "\n", encoding="utf-8")
    with gzip.open(folder / "parts" / "d.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(part_d) + "\n")
    (folder / "parts" / "e.txt").write_text("We must not sell these jets.\n", encoding="utf-8")

    part_ids = [
        *_expected_ids(part_a, "parts/a.jsonl"),
        *_expected_ids(part_c, "parts/b/c.jsonl"),
        *_expected_ids(part_d, "parts/d.jsonl.gz"),
    ]
    # One run reads a gzip file, a folder (recursively: .jsonl, .jsonl.gz and .txt) and a glob pattern.
    files = ("small.jsonl.gz", "parts", "parts/**/*.jsonl*")
    expected = {
        "files": [*_expected_ids(lines[:300], "small.jsonl.gz"), *part_ids, "parts/e.txt", *part_ids],
        "stdin": _expected_ids(lines[:300], "-"),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            "files": pool.submit(run_cli, "score", *files, "-o", "files.jsonl", cwd=folder),
            "stdin": pool.submit(
                run_cli,
                "score",
                "-",
                "--format-in",
                "jsonl",
                "-o",
                "stdin.jsonl",
                cwd=folder,
                stdin="\n".join(lines[:300]) + "\n",
            ),
        }
        procs = {name: f.result() for name, f in futures.items()}

    by_id = {r["id"]: r for r in reference}
    for name, proc in procs.items():
        assert proc.returncode == 1, (name, proc.stderr)
        records = _read_jsonl(folder / f"{name}.jsonl")
        assert [r["id"] for r in records] == expected[name], name
        for r in records:
            if r.get("error") is None and r["id"] in by_id:
                # The same text gives the same scores, whatever the input kind.
                ref = by_id[r["id"]]
                assert {k: v for k, v in r.items() if k not in ("source", "line")} == {
                    k: v for k, v in ref.items() if k not in ("source", "line")
                }, name
        sources = [r["source"] for r in records]
        if name == "stdin":
            assert set(sources) == {"-"}
        else:
            n_gz, n_parts = len(_expected_ids(lines[:300], "x")), len(part_ids)
            assert set(sources[:n_gz]) == {"small.jsonl.gz"}
            assert sources[n_gz : n_gz + n_parts + 1] == sorted(sources[n_gz : n_gz + n_parts + 1])
            assert set(sources[n_gz : n_gz + n_parts + 1]) == {
                "parts/a.jsonl",
                "parts/b/c.jsonl",
                "parts/d.jsonl.gz",
                "parts/e.txt",
            }
            assert sources[n_gz + n_parts + 1 :] == sources[n_gz : n_gz + n_parts]  # the glob: the same files


def test_output_csv_is_parseable_by_a_plain_reader(work, reference_csv):
    # A CSV consumer that knows nothing of framing reads the same number of rows as the JSONL has.
    header, _rows = reference_csv
    text = (work / "ref.csv").read_text(encoding="utf-8")
    assert sum(1 for _ in csv.DictReader(io.StringIO(text, newline=""))) == N_INPUT
    assert header[:4] == ["id", "source", "line", "error"]
