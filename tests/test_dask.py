"""framing.batch on dask: bags, DataFrames and ``framing score --dask`` against a local cluster.

The cluster has two worker processes, so the analyzer really is pickled and sent over the wire;
results must equal local scoring record for record.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("dask.bag")

from conftest import cli_env, run_cli, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
N_TEXTS = 60


def _close(a, b, path="") -> None:
    """Assert two JSON-like values are equal, floats within 1e-12."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), path
        assert math.isclose(a, b, rel_tol=0, abs_tol=1e-12), f"{path}: {a} != {b}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            _close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture(scope="module")
def small_corpus():
    import framing

    corpus = framing.read_corpus(ROOT / "data" / "corpus.jsonl")
    return corpus.subset(range(0, len(corpus), max(len(corpus) // N_TEXTS, 1))[:N_TEXTS])


@pytest.fixture(scope="module")
def dask_analyzer(small_corpus):
    import framing

    return framing.train(small_corpus, random_state=0)


@pytest.fixture(scope="module")
def client(empty_nltk_data):
    from distributed import Client, LocalCluster

    # Worker processes inherit this environment: offline nltk, the checkout importable.
    assert os.environ["NLTK_DATA"] == empty_nltk_data
    old_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = cli_env()["PYTHONPATH"]
    try:
        cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0")
    finally:
        if old_path is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old_path
    client = Client(cluster)
    try:
        client.wait_for_workers(2, timeout=30)
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def dask_records(small_corpus):
    recs = [{"id": i, "text": t, "lang": "en"} for i, t in zip(small_corpus.ids, small_corpus.texts)]
    # A few short texts too, one with no word the model knows.
    recs += [
        {"id": "short-1", "text": "Stop the sale of these jets now.", "lang": "en"},
        {"id": "short-2", "text": "", "lang": "en"},
        {"id": "short-3", "text": "zzzz qqqq", "lang": "en"},
    ]
    return recs


def _local(analyzer, recs):
    return [r.to_dict() for r in analyzer.score_many([r["text"] for r in recs], ids=[r["id"] for r in recs])]


def test_records_equal_local_scoring(client, dask_analyzer, dask_records):
    import dask.bag as db

    from framing.batch import score_dask

    bag = db.from_sequence(dask_records, npartitions=5)
    out = score_dask(bag, dask_analyzer, client=client, text_col="text").compute()
    expected = _local(dask_analyzer, dask_records)
    assert len(out) == len(dask_records)
    for got, rec, want in zip(out, dask_records, expected):
        assert got.pop("lang") == rec["lang"]  # other fields are kept
        _close(got, want)


def test_plain_texts_and_the_default_client(client, dask_analyzer, dask_records):
    import dask.bag as db

    from framing.batch import score_dask

    texts = [r["text"] for r in dask_records]
    out = score_dask(db.from_sequence(texts, partition_size=7), dask_analyzer).compute()  # client: the default one
    _close(out, [r.to_dict() for r in dask_analyzer.score_many(texts)])


def test_local_scheduler_without_a_client(dask_analyzer, dask_records):
    import dask.bag as db

    from framing.batch import _score_bag, _ship_analyzer

    texts = [r["text"] for r in dask_records[:10]]
    shipped = _ship_analyzer(dask_analyzer, None)  # a dask.delayed node, as with no cluster at all
    out = _score_bag(db.from_sequence(texts, npartitions=3), shipped, None).compute(scheduler="sync")
    _close(out, [r.to_dict() for r in dask_analyzer.score_many(texts)])


def test_missing_texts_yield_error_dicts(client, dask_analyzer, dask_records):
    import dask.bag as db

    from framing.batch import score_dask

    mixed = [
        dask_records[0],
        {"id": "null", "text": None},
        {"id": "number", "text": 42},
        {"id": "absent"},
        {"id": "flagged", "text": None, "error": "not valid JSON"},
        dask_records[1],
    ]
    out = score_dask(db.from_sequence(mixed, npartitions=2), dask_analyzer, client=client, text_col="text").compute()
    assert len(out) == len(mixed)
    assert out[1:5] == [
        {"id": "null", "error": "field 'text' is null, not a string"},
        {"id": "number", "error": "field 'text' is int, not a string"},
        {"id": "absent", "error": "field 'text' is missing"},
        {"id": "flagged", "error": "not valid JSON"},
    ]
    assert out[0].pop("lang") == out[5].pop("lang") == "en"
    _close([out[0], out[5]], _local(dask_analyzer, [dask_records[0], dask_records[1]]))
    texts = score_dask(db.from_sequence(["Approve the sale.", None]), dask_analyzer, client=client).compute()
    assert texts[1] == {"id": None, "error": "expected a text (str), got null"}
    assert "stance" in texts[0]


def test_the_analyzer_is_sent_once_per_worker(client, dask_analyzer, dask_records):
    import dask.bag as db

    from framing.batch import score_dask

    def analyzers_held(dask_worker):
        return sum(type(v).__name__ == "Analyzer" for v in dask_worker.data.values())

    bag = score_dask(db.from_sequence(dask_records, npartitions=8), dask_analyzer, client=client, text_col="text")
    assert set(client.run(analyzers_held).values()) == {1}  # broadcast before any task runs
    assert len(bag.compute()) == len(dask_records)
    assert set(client.run(analyzers_held).values()) == {1}  # 8 partitions, still one copy per worker


def test_dataframe_columns_equal_local_scoring(client, dask_analyzer, dask_records):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    from framing.batch import output_columns, score_dask_dataframe

    frame = pd.DataFrame([*dask_records, {"id": "null", "text": None, "lang": "en"}])
    ddf = dd.from_pandas(frame, npartitions=4)
    scored = score_dask_dataframe(ddf, "text", dask_analyzer, client=client)
    added = [c for c in output_columns(dask_analyzer) if c not in ("id", "source", "line", "error")] + ["error"]
    assert list(scored.columns) == [*frame.columns, *added]
    result = scored.compute()
    assert list(result.columns) == list(scored.columns)
    assert dict(result.dtypes) == dict(scored.dtypes)  # the meta is right
    assert len(result) == len(frame)
    for (_, row), local in zip(result.iterrows(), dask_analyzer.score_many([r["text"] for r in dask_records])):
        assert pd.isna(row["error"])
        assert row["primary_frame"] == local.frames.primary or (
            pd.isna(row["primary_frame"]) and not local.frames.primary
        )
        assert row["frames"] == ";".join(local.frames.labels)
        for f, p in local.frames.probabilities.items():
            assert abs(row[f"frame_p_{f}"] - p) <= 1e-12
        for topic, s in local.stance.items():
            assert row[topic] == s.label
            assert abs(row[f"{topic}_score"] - s.score) <= 1e-12
            for label, p in s.probabilities.items():
                assert abs(row[f"{topic}_p_{label}"] - p) <= 1e-12
    last = result.iloc[-1]
    assert last["error"] == "field 'text' is null, not a string"
    assert all(pd.isna(last[c]) for c in added[:-1])
    with pytest.raises(KeyError, match="no column 'body'"):
        score_dask_dataframe(ddf, "body", dask_analyzer, client=client)


def test_cli_dask_gives_the_same_lines_as_local_scoring(client, dask_analyzer, dask_records, tmp_path):
    import framing

    model = tmp_path / "model.joblib"
    framing.save(dask_analyzer, model)
    lines = [{"id": r["id"], "text": r["text"]} for r in dask_records] + [{"id": "null", "text": None}]
    data = write_jsonl(tmp_path / "in.jsonl", lines)
    with open(data, "a", encoding="utf-8") as f:
        f.write("{not json\n")
    args = [sys.executable, "-m", "framing", "score", str(data), "-m", str(model), "--chunk-size", "9"]
    # Both at once: each pays python's and scikit-learn's start-up.
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
        for cmd in (args, [*args, "--dask", client.scheduler.address])
    ]
    (local, _), (remote, err) = (p.communicate(timeout=120) for p in procs)
    assert [p.returncode for p in procs] == [1, 1], err
    assert remote == local
    out = [json.loads(line) for line in remote.splitlines()]
    assert len(out) == len(lines) + 1
    assert out[-2]["error"] == "field 'text' is null, not a string"
    assert out[-1]["error"].startswith("not valid JSON")
    assert cli_env()["NLTK_DATA"] == os.environ["NLTK_DATA"]


def test_cli_dask_with_n_jobs_is_a_usage_error(tmp_path):
    data = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "Stop the sale."}])
    proc = run_cli("score", data, "--dask", "tcp://127.0.0.1:1", "-j", "2")
    assert proc.returncode == 2
    assert "--dask and --n-jobs" in proc.stderr
