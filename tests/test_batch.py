"""framing.batch: reading inputs lazily, scoring in order, writing records, resuming."""

from __future__ import annotations

import csv
import gzip
import io
import json
import warnings

import pytest

from framing.batch import (
    InputEncodingWarning,
    InputError,
    Record,
    count_output_records,
    iter_records,
    output_columns,
    score_records,
    write_records,
)


def _records(*inputs, **kwargs):
    return list(iter_records([str(i) for i in inputs], **kwargs))


# --------------------------------------------------------------------------- reading


def test_a_text_file_is_one_record(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Stop the sale.\n\nSecond paragraph.\n", encoding="utf-8")
    (record,) = _records(path)
    assert record == Record(id=str(path), text="Stop the sale.\n\nSecond paragraph.\n", source=str(path), line=None)


def test_jsonl_records_with_named_fields(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps({"key": "k1", "body": "First."}) + "\n\n" + json.dumps({"key": 7, "body": "Second."}) + "\n"
        + json.dumps({"body": "No key."}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    records = _records(path, text_col="body", id_col="key")
    assert [(r.id, r.text, r.line, r.error) for r in records] == [
        ("k1", "First.", 1, None),
        ("7", "Second.", 3, None),
        (f"{path}:4", "No key.", 4, None),
    ]


def test_jsonl_bad_lines_become_error_records(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": "a", "text": "ok"}\n{"id": "b", "text": \n{"id": "c", "text": null}\n[1, 2]\n{"id": "e"}\n'
        '{"id": "f", "text": 5}\n{"id": "g", "text": "fine"}\n',
        encoding="utf-8",
    )
    records = _records(path)
    assert [r.id for r in records] == ["a", f"{path}:2", "c", f"{path}:4", "e", "f", "g"]
    assert [r.line for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert all(r.source == str(path) for r in records)
    errors = {r.line: r.error for r in records if r.error}
    assert set(errors) == {2, 3, 4, 5, 6}
    assert "not valid JSON" in errors[2]
    assert "null" in errors[3] and "'text'" in errors[3]
    assert "JSON object" in errors[4]
    assert "missing" in errors[5]
    assert "int" in errors[6]
    assert all(r.text is None for r in records if r.error)


def test_csv_records_with_named_columns_and_multiline_cells(tmp_path):
    path = tmp_path / "in.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerows([["doc", "outlet", "body"], ["d1", "Daily", "Line one.\nLine two."], ["d2", "Weekly", "Short."],
                     ["", "Monthly", "No id."], ["d4", "too", "many", "cells"]])  # fmt: skip
    records = _records(path, text_col="body", id_col="doc")
    assert [(r.id, r.text, r.line) for r in records[:3]] == [
        ("d1", "Line one.\nLine two.", 2),
        ("d2", "Short.", 4),
        (f"{path}:5", "No id.", 5),
    ]
    assert records[3].id == "d4" and records[3].line == 6
    assert "4 fields" in records[3].error


def test_tsv_records(tmp_path):
    path = tmp_path / "in.tsv"
    path.write_text('id\ttext\na\tShe said "stop\nb\tok\n', encoding="utf-8")
    assert [(r.id, r.text) for r in _records(path)] == [("a", 'She said "stop'), ("b", "ok")]


def test_csv_with_bom_and_missing_text_column(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("id,text\na,Stop.\n".encode("utf-8-sig"))
    assert [(r.id, r.text) for r in _records(path)] == [("a", "Stop.")]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,body\na,Stop.\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column 'text'"):
        _records(bad)


def test_folders_are_searched_recursively_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("z", encoding="utf-8")
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"text": "c1"}\n{"text": "c2"}\n', encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    records = _records(tmp_path)
    assert [r.text for r in records] == ["a", "z", "c1", "c2"]  # a.txt, b/z.txt, c.jsonl
    assert [r.source for r in records] == [str(tmp_path / "a.txt"), str(tmp_path / "b" / "z.txt")] + [
        str(tmp_path / "c.jsonl")
    ] * 2


def test_globs(tmp_path):
    for name in ("x1.txt", "x2.txt", "y.txt"):
        (tmp_path / name).write_text(name, encoding="utf-8")
    assert [r.text for r in _records(tmp_path / "x*.txt")] == ["x1.txt", "x2.txt"]
    with pytest.raises(InputError, match="matches no file"):
        _records(tmp_path / "nothing*.txt")


def test_gzip_files(tmp_path):
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(b'{"id": "g", "text": "zipped"}\n'))
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"zipped text"))
    records = _records(tmp_path / "a.jsonl.gz", tmp_path / "b.txt.gz")
    assert [(r.id, r.text) for r in records] == [("g", "zipped"), (str(tmp_path / "b.txt.gz"), "zipped text")]


def test_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        _records(tmp_path / "missing.txt")
    (tmp_path / "data.xyz").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="cannot tell the format"):
        _records(tmp_path / "data.xyz")
    assert [r.text for r in _records(tmp_path / "data.xyz", format="text")] == ["x"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no \.txt"):
        _records(tmp_path / "empty")


def test_non_utf8_text_falls_back_to_cp1252_with_a_warning(tmp_path):
    path = tmp_path / "win.txt"
    path.write_bytes("\u201cNo\u201d to the caf\u00e9 deal \u2013 now.".encode("cp1252"))
    with pytest.warns(InputEncodingWarning, match="cp1252"):
        (record,) = _records(path)
    assert record.text == "\u201cNo\u201d to the caf\u00e9 deal \u2013 now."
    assert record.error is None


def test_non_utf8_jsonl_line_falls_back_per_line(tmp_path):
    path = tmp_path / "win.jsonl"
    path.write_bytes(b'{"text": "fine"}\n' + '{"text": "caf\u00e9"}\n'.encode("cp1252"))
    with pytest.warns(InputEncodingWarning, match="line 2"):
        records = _records(path)
    assert [r.text for r in records] == ["fine", "caf\u00e9"]


def test_a_declared_encoding_is_used_without_warning(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("caf\u00e9".encode("latin-1"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _records(path, encoding="latin-1")[0].text == "caf\u00e9"


def test_a_binary_file_gives_an_error_record(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (record,) = _records(path)
    assert record.text is None
    assert "binary" in record.error
    jsonl = tmp_path / "mixed.jsonl"
    jsonl.write_bytes(b'{"text": "ok"}\n\x00\x01\x02\n{"text": "ok too"}\n')
    records = _records(jsonl)
    assert [r.error is None for r in records] == [True, False, True]
    assert records[1].line == 2 and "binary" in records[1].error


# --------------------------------------------------------------------------- scoring and writing


def _mixed_records(n=9):
    out = []
    for i in range(n):
        if i % 4 == 2:
            out.append(Record(f"r{i}", None, "mem", i + 1, "not valid JSON"))
        else:
            out.append(Record(f"r{i}", ["Stop the bomb sale.", "Approve the jets.", ""][i % 3], "mem", i + 1))
    return out


def test_score_records_keeps_order_and_one_output_per_record(analyzer):
    records = _mixed_records()
    outputs = list(score_records(analyzer, records, chunk_size=2))
    assert [o["id"] for o in outputs] == [r.id for r in records]
    for rec, out in zip(records, outputs):
        assert (out["source"], out["line"]) == ("mem", rec.line)
        if rec.error:
            assert out["error"] == rec.error and "stance" not in out
        else:
            expected = analyzer.score(rec.text).to_dict()
            assert out["stance"] == expected["stance"]
            assert out["frames"] == expected["frames"]


def test_score_records_in_worker_processes_equals_serial(analyzer):
    records = _mixed_records(13)
    serial = list(score_records(analyzer, records, chunk_size=3, n_jobs=1))
    parallel = list(score_records(analyzer, records, chunk_size=3, n_jobs=2))
    assert parallel == serial


def test_write_records_jsonl_and_csv(analyzer):
    outputs = list(score_records(analyzer, _mixed_records(5)))
    buf = io.StringIO()
    assert write_records(outputs, buf) == (5, 1)
    lines = buf.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == outputs

    buf = io.StringIO()
    columns = output_columns(analyzer)
    assert write_records(outputs, buf, format="csv", columns=columns) == (5, 1)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert list(rows[0]) == columns
    assert [r["id"] for r in rows] == [o["id"] for o in outputs]
    assert rows[0]["arms_sales"] == outputs[0]["stance"]["arms_sales"]["label"]
    assert float(rows[0]["arms_sales_p_favor"]) == pytest.approx(
        outputs[0]["stance"]["arms_sales"]["probabilities"]["favor"], abs=1e-6
    )
    assert rows[0]["frames"] == ";".join(outputs[0]["frames"]["labels"])
    assert rows[2]["error"] == "not valid JSON" and rows[2]["arms_sales"] == ""
    with pytest.raises(ValueError, match="columns"):
        write_records(outputs, io.StringIO(), format="csv")
    with pytest.raises(ValueError, match="jsonl' or 'csv"):
        write_records(outputs, io.StringIO(), format="xml")


def test_output_columns(analyzer):
    columns = output_columns(analyzer)
    assert columns[:4] == ["id", "source", "line", "error"]
    for topic, model in analyzer.stance_models.items():
        assert topic in columns and f"{topic}_score" in columns
        assert all(f"{topic}_p_{label}" in columns for label in model.classes_)
    assert "primary_frame" in columns and "frames" in columns
    assert [c for c in columns if c.startswith("frame_p_")] == [f"frame_p_{f}" for f in analyzer.frames]


# --------------------------------------------------------------------------- resume support


def test_count_output_records_truncates_a_half_written_last_line(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"id": 1}\n{"id": 2}\n{"id": 3, "sta')
    assert count_output_records(path) == 2
    assert path.read_bytes() == b'{"id": 1}\n{"id": 2}\n'
    assert count_output_records(path) == 2  # idempotent


def test_count_output_records_complete_missing_and_csv(tmp_path):
    path = tmp_path / "out.jsonl"
    assert count_output_records(path) == 0
    path.write_bytes(b'{"id": 1}\n{"id": 2}\n')
    assert count_output_records(path) == 2
    assert path.read_bytes() == b'{"id": 1}\n{"id": 2}\n'
    table = tmp_path / "out.csv"
    table.write_text('id,text\na,"two\nlines"\nb,x\nc,hal', encoding="utf-8")
    assert count_output_records(table, format="csv") == 2
    assert table.read_text(encoding="utf-8") == 'id,text\na,"two\nlines"\nb,x\n'
