"""framing.corpus: reading JSONL/CSV/TSV corpora, validation errors naming file, line and field."""

from __future__ import annotations

import csv
import gzip
import json

import pytest
from conftest import RECORDS, write_jsonl

from framing import Corpus, CorpusError, read_corpus

GOOD = {"id": "g1", "text": "Stop the sale.", "stance": {"arms_sales": "against"}}


def _lines(path, *objs_or_lines):
    path.write_text(
        "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs_or_lines),
        encoding="utf-8",
    )
    return path


def _error(path, **kwargs) -> CorpusError:
    with pytest.raises(CorpusError) as info:
        read_corpus(path, **kwargs)
    return info.value


# --------------------------------------------------------------------------- JSONL


def test_read_the_fixture_corpus(corpus, corpus_path):
    assert len(corpus) == len(RECORDS)
    assert corpus.ids == [r[0] for r in RECORDS]
    assert corpus.texts == [r[1] for r in RECORDS]
    assert corpus.stance["arms_sales"] == [r[2] for r in RECORDS]
    assert corpus.stance["regional_stability"] == [r[3] for r in RECORDS]
    assert corpus.frames == [r[4] for r in RECORDS]
    assert corpus.primary == [r[4][0] for r in RECORDS]
    assert corpus.topics == {
        "arms_sales": ["against", "favor", "neutral"],
        "regional_stability": ["destabilising", "neutral", "stabilising"],
    }
    assert corpus.source == str(corpus_path)
    counts = corpus.label_counts()
    assert counts["arms_sales"] == {"against": 16, "favor": 16, "neutral": 16}
    assert sum(counts["primary_frame"].values()) == len(RECORDS)


def test_optional_fields_missing_topics_extra_fields_and_blank_lines(tmp_path):
    path = _lines(
        tmp_path / "c.jsonl",
        {"id": 1, "text": "Stop the sale.", "stance": {"arms_sales": "against"}, "deal": "jets"},
        "",
        {"text": "Fine weather.", "stance": {"regional_stability": "neutral", "arms_sales": None}},
        {"id": "x", "text": "Approve it.", "frames": ["economic", "political"], "primary_frame": "political"},
    )
    corpus = read_corpus(path)
    assert corpus.ids == ["1", "c.jsonl:3", "x"]
    assert corpus.stance == {
        "arms_sales": ["against", None, None],
        "regional_stability": [None, "neutral", None],
    }
    assert corpus.frames == [[], [], ["political", "economic"]]  # primary first
    assert corpus.primary == [None, None, "political"]
    assert corpus.extra[0] == {"deal": "jets"}


def test_named_text_and_id_fields(tmp_path):
    path = _lines(tmp_path / "c.jsonl", {"doc": "d1", "body": "Stop the sale."}, {"doc": "d2", "body": "Go ahead."})
    corpus = read_corpus(path, text_col="body", id_col="doc")
    assert corpus.ids == ["d1", "d2"]
    assert corpus.texts == ["Stop the sale.", "Go ahead."]


def test_gzip_jsonl(tmp_path):
    path = tmp_path / "c.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(GOOD) + "\n").encode()))
    assert read_corpus(path).texts == ["Stop the sale."]


def test_line_separator_characters_inside_a_text_do_not_split_the_record(tmp_path):
    # JSON allows raw U+2028, U+2029 and U+0085 inside strings; JSON Lines records end at "\n" only.
    text = "First part.\u2028Second part.\u0085Third\u2029part."
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": text}, ensure_ascii=False) + "\n" + json.dumps({"id": "b", "text": "x"}) + "\n",
        encoding="utf-8",
    )
    corpus = read_corpus(path)
    assert corpus.texts == [text, "x"]


@pytest.mark.parametrize(
    ("lines", "line", "field", "message"),
    [
        ([GOOD, '{"id": "b", "text": "oops",'], 2, None, "not valid JSON"),
        ([GOOD, '["a", "list"]'], 2, None, "expected a JSON object"),
        ([GOOD, {"id": "b", "body": "no text field"}], 2, "text", "missing"),
        ([GOOD, {"id": "b", "text": None}], 2, "text", "expected a string, got null"),
        ([GOOD, {"id": "b", "text": 42}], 2, "text", "expected a string, got int"),
        ([GOOD, {"id": "b", "text": "t", "stance": {"arms_sales": 1}}], 2, "stance.arms_sales", "string label"),
        ([GOOD, {"id": "b", "text": "t", "stance": ["favor"]}], 2, "stance", "expected an object"),
        ([GOOD, {"id": "b", "text": "t", "frames": "economic"}], 2, "frames", "list of strings"),
        ([GOOD, {"id": "b", "text": "t", "frames": ["economic"], "primary_frame": "morality"}],
         2, "primary_frame", "'morality' is not among the record's frames"),
        ([GOOD, {"id": "b", "text": "t", "primary_frame": 3}], 2, "primary_frame", "expected a string"),
        ([GOOD, {"id": ["b"], "text": "t"}], 2, "id", "string or integer id"),
        ([GOOD, {"id": "b", "text": "t"}, "", {"id": "g1", "text": "again"}], 4, "id", "duplicate id 'g1' (first on line 1)"),
    ],
)  # fmt: skip
def test_jsonl_errors_name_file_line_and_field(tmp_path, lines, line, field, message):
    path = _lines(tmp_path / "bad.jsonl", *lines)
    err = _error(path)
    assert err.path == str(path)
    assert err.line == line
    assert err.field == field
    assert message in str(err)
    assert str(err).startswith(f"{path}, line {line}")
    if field:
        assert f"field '{field}'" in str(err)


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    err = _error(path)
    assert "empty" in str(err) and str(path) in str(err)


def test_missing_file_directory_and_unknown_suffix(tmp_path):
    assert "no such file" in str(_error(tmp_path / "nope.jsonl"))
    (tmp_path / "d.jsonl").mkdir()
    assert "directory" in str(_error(tmp_path / "d.jsonl"))
    (tmp_path / "c.txt").write_text("x", encoding="utf-8")
    assert "format" in str(_error(tmp_path / "c.txt"))
    assert "unknown format" in str(_error(tmp_path / "c.txt", format="xml"))


def test_wrong_encoding_names_the_line_and_suggests_encoding(tmp_path):
    path = tmp_path / "c.jsonl"
    data = json.dumps(GOOD).encode() + b"\n" + '{"id": "b", "text": "caf\u00e9"}\n'.encode("cp1252")
    path.write_bytes(data)
    err = _error(path)
    assert err.line == 2
    assert "utf-8" in str(err) and "encoding" in str(err)
    assert read_corpus(path, encoding="cp1252").texts[1] == "caf\u00e9"
    assert "unknown encoding" in str(_error(path, encoding="no-such-codec"))


# --------------------------------------------------------------------------- CSV / TSV


def _write_csv(path, rows, encoding="utf-8", delimiter=","):
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def test_csv_with_named_columns_and_encoding(tmp_path):
    rows = [
        ["doc_id", "body", "arms", "stability", "frame_list", "main_frame", "outlet"],
        ["1", "\u201cStop the sale,\u201d she said \u2013 caf\u00e9 owners agree.", "against", "destabilising",
         "morality;political", "morality", "Daily"],
        ["2", "Approve it.\nA second line.", "favor", "", "economic", "", "Weekly"],
    ]  # fmt: skip
    path = _write_csv(tmp_path / "c.csv", rows, encoding="cp1252")
    corpus = read_corpus(
        path,
        text_col="body",
        id_col="doc_id",
        stance_cols={"arms_sales": "arms", "regional_stability": "stability"},
        frames_col="frame_list",
        primary_col="main_frame",
        encoding="cp1252",
    )
    assert corpus.ids == ["1", "2"]
    assert corpus.texts[0] == "\u201cStop the sale,\u201d she said \u2013 caf\u00e9 owners agree."
    assert corpus.texts[1] == "Approve it.\nA second line."
    assert corpus.stance == {"arms_sales": ["against", "favor"], "regional_stability": ["destabilising", None]}
    assert corpus.frames == [["morality", "political"], ["economic"]]
    assert corpus.primary == ["morality", None]
    assert corpus.extra[0] == {"outlet": "Daily"}


def test_csv_stance_cols_as_a_list(tmp_path):
    path = _write_csv(
        tmp_path / "c.csv", [["id", "text", "arms_sales"], ["a", "Stop.", "against"], ["b", "Go.", "favor"]]
    )
    assert read_corpus(path, stance_cols=["arms_sales"]).stance == {"arms_sales": ["against", "favor"]}


def test_tsv(tmp_path):
    path = tmp_path / "c.tsv"
    path.write_text('id\ttext\tarms_sales\na\tShe said "stop the sale\tagainst\n', encoding="utf-8")
    corpus = read_corpus(path, stance_cols=["arms_sales"])
    assert corpus.texts == ['She said "stop the sale']
    assert corpus.stance == {"arms_sales": ["against"]}


def test_csv_with_a_byte_order_mark(tmp_path):
    # Spreadsheet programs write UTF-8 CSV with a BOM; the first column must still be found.
    rows = [["id", "text", "arms_sales"], ["a", "Stop.", "against"], ["b", "Go.", "favor"]]
    path = _write_csv(tmp_path / "c.csv", rows, encoding="utf-8-sig")
    corpus = read_corpus(path, stance_cols=["arms_sales"])
    assert corpus.ids == ["a", "b"]


def test_csv_missing_column_is_named(tmp_path):
    path = _write_csv(tmp_path / "c.csv", [["id", "body"], ["a", "Stop."]])
    err = _error(path)
    assert (err.line, err.field) == (1, "text")
    assert "no such column" in str(err) and "body" in str(err)
    err = _error(path, text_col="body", stance_cols={"arms_sales": "arms"})
    assert err.field == "arms"


def test_csv_wrong_field_count_names_the_line(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('id,text\na,"two\nlines"\nb,ok,extra\n', encoding="utf-8")
    err = _error(path)
    assert err.line == 4
    assert "3 fields" in str(err)


def test_csv_empty_file(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("", encoding="utf-8")
    assert "empty" in str(_error(path))
    path.write_text("id,text\n", encoding="utf-8")
    assert "empty" in str(_error(path))


def test_csv_duplicate_id(tmp_path):
    path = _write_csv(tmp_path / "c.csv", [["id", "text"], ["a", "x"], ["b", "y"], ["a", "z"]])
    err = _error(path)
    assert (err.line, err.field) == (4, "id")
    assert "duplicate id 'a'" in str(err)


# --------------------------------------------------------------------------- digest and subset


def test_digest_is_stable_and_independent_of_format_and_white_space(tmp_path, records, corpus):
    again = read_corpus(write_jsonl(tmp_path / "again.jsonl", records))
    assert again.digest() == corpus.digest()
    assert corpus.digest().startswith("sha256:") and len(corpus.digest()) == 7 + 64

    spaced = tmp_path / "spaced.jsonl"
    spaced.write_text("".join(json.dumps(r, indent=None, separators=(" ,  ", " :  ")) + "\n\n" for r in records))
    assert read_corpus(spaced).digest() == corpus.digest()

    rows = [["id", "text", "arms_sales", "regional_stability", "frames", "primary"]]
    rows += [
        [r["id"], r["text"], r["stance"]["arms_sales"], r["stance"]["regional_stability"], ";".join(r["frames"]),
         r["primary_frame"]]
        for r in records
    ]  # fmt: skip
    as_csv = read_corpus(
        _write_csv(tmp_path / "c.csv", rows),
        stance_cols=["arms_sales", "regional_stability"],
        frames_col="frames",
        primary_col="primary",
    )
    assert as_csv.digest() == corpus.digest()


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["stance"].__setitem__(
            "arms_sales", "neutral" if r["stance"]["arms_sales"] != "neutral" else "favor"
        ),
        lambda r: r.__setitem__("text", r["text"] + " "),
        lambda r: r["frames"].append("other"),
        lambda r: r.__setitem__("id", "renamed"),
    ],
    ids=["label", "text", "frames", "id"],
)
def test_digest_changes_when_a_record_changes(tmp_path, records, corpus, change):
    changed = json.loads(json.dumps(records))
    change(changed[5])
    assert read_corpus(write_jsonl(tmp_path / "c.jsonl", changed)).digest() != corpus.digest()


def test_subset(corpus):
    sub = corpus.subset([2, 0])
    assert isinstance(sub, Corpus)
    assert sub.ids == [corpus.ids[2], corpus.ids[0]]
    assert sub.stance["arms_sales"] == [corpus.stance["arms_sales"][2], corpus.stance["arms_sales"][0]]
    assert sub.frames == [corpus.frames[2], corpus.frames[0]]
    assert len(sub) == 2
