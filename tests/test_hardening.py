"""Hostile and odd input: arbitrary unicode, huge texts, threads, broken input files, bad training data."""

from __future__ import annotations

import json
import math
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import RECORDS, record_dicts, run_cli, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import framing
from framing import TrainingDataWarning, load, read_corpus

# --------------------------------------------------------------------------- result checks


def _check_result(result, analyzer, text_id=None):
    assert set(result.stance) == set(analyzer.stance_models)
    for topic, s in result.stance.items():
        labels = [str(c) for c in analyzer.stance_models[topic].classes_]
        assert s.label in labels
        assert set(s.probabilities) == set(labels)
        probs = list(s.probabilities.values())
        assert all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in probs), probs
        assert abs(sum(probs) - 1.0) <= 1e-9, sum(probs)
        if s.score is not None:
            assert math.isfinite(s.score) and -1.0 <= s.score <= 1.0
    if analyzer.frame_model is not None:
        frames = result.frames
        assert frames is not None
        assert set(frames.probabilities) == set(analyzer.frames)
        assert all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in frames.probabilities.values())
        assert frames.primary is None or frames.primary in analyzer.frames
        assert set(frames.labels) <= set(analyzer.frames)
        if frames.primary is not None:
            assert frames.primary in frames.labels
    if result.frame_profile is not None:
        assert abs(sum(result.frame_profile.values()) - 1.0) <= 1e-9
    assert result.n_known_terms >= 0
    assert result.id == text_id
    # Plain JSON, without NaN or infinity.
    json.dumps(result.to_dict(), allow_nan=False)


SCRIPTS = [
    "بيع الأسلحة يهدد الاستقرار في المنطقة",  # Arabic
    "武器销售威胁地区稳定。我们必须停止。",  # Chinese
    "武器の売却は地域の安定を脅かす",  # Japanese
    "무기 판매는 지역 안정을 위협한다",  # Korean
    "Продажа оружия угрожает стабильности в регионе.",  # Cyrillic
    "Η πώληση όπλων απειλεί τη σταθερότητα",  # Greek
    "מכירת נשק מאיימת על היציבות",  # Hebrew
    "हथियारों की बिक्री क्षेत्र की स्थिरता के लिए खतरा है",  # Devanagari
    "การขายอาวุธคุกคามเสถียรภาพ",  # Thai
    "🚀💣🔥 stop the bomb sale 🕊️👍🏽👨‍👩‍👧",  # emoji, ZWJ sequences, skin tone
    "Z̷̢a̶l̵g̸o̴ ̵t̷e̸x̶t̸ and combining marks: é é",  # combining marks
    "\u202eevil right-to-left override\u202c and \u2066isolate\u2069",
    "Ｆｕｌｌｗｉｄｔｈ ｗｅａｐｏｎｓ ｓａｌｅ",
    "𝐁𝐨𝐦𝐛𝐬 𝕤𝕒𝕝𝕖 (mathematical alphanumerics)",
    "line\u2028separator\u2029paragraph\x85next line",
]
WORDS = [t for _, t, *_ in RECORDS] + ["approve", "bombs", "civilians", "jobs", "deterrence", "", " ", "."]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad"]
CONTROL = [chr(c) for c in [*range(0, 32), 127, *range(0x80, 0xA0)]]
WHITESPACE = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\u00a0", "\u1680", "\u2003", "\u2028", "\u2029", "\u3000", "\x1c"]


def _interleave(parts):
    return st.lists(st.sampled_from(parts), max_size=30).map("".join)


texts_any = st.text(max_size=400)
texts_control = st.lists(st.sampled_from(WORDS) | st.sampled_from(CONTROL), max_size=30).map("".join)
texts_zero_width = st.lists(st.sampled_from(WORDS) | st.sampled_from(ZERO_WIDTH), max_size=30).map("".join) | st.builds(
    lambda word, zw: zw.join(word), st.sampled_from(WORDS), st.sampled_from(ZERO_WIDTH)
)
texts_scripts = st.lists(st.sampled_from(SCRIPTS + WORDS), min_size=1, max_size=8).map(" ".join) | st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Zs"]), max_size=200
)
texts_whitespace = st.text(alphabet=st.sampled_from(WHITESPACE), max_size=100)
any_text = texts_any | texts_control | texts_zero_width | texts_scripts | texts_whitespace

HYPOTHESIS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYPOTHESIS
@given(text=any_text)
def test_score_never_raises_and_returns_a_valid_result(analyzer, text):
    _check_result(analyzer.score(text), analyzer)
    _check_result(analyzer.score(text, id="x", frame_profile=False), analyzer, "x")


@HYPOTHESIS
@given(text=texts_whitespace)
def test_whitespace_only_text_is_neutral_with_uniform_probabilities(analyzer, text):
    result = analyzer.score(text)
    _check_result(result, analyzer)
    assert result.n_known_terms == 0
    for topic, s in result.stance.items():
        assert s.label == analyzer.topics[topic].neutral
        assert len(set(s.probabilities.values())) == 1
    assert result.frames.primary is None and result.frames.labels == []


@HYPOTHESIS
@given(texts=st.lists(any_text, max_size=12))
def test_score_many_returns_one_result_per_text_in_order(analyzer, texts):
    ids = [f"id{i}" for i in range(len(texts))]
    results = analyzer.score_many(texts, ids=ids)
    assert len(results) == len(texts)
    for text, rid, result in zip(texts, ids, results):
        _check_result(result, analyzer, rid)
        assert result.to_dict() == analyzer.score(text, id=rid, frame_profile=False).to_dict()


@HYPOTHESIS
@given(text=st.lists(st.sampled_from(WORDS), min_size=1, max_size=10).map(" ".join), zw=st.sampled_from(ZERO_WIDTH))
def test_zero_width_characters_do_not_crash_and_keep_scores_valid(analyzer, text, zw):
    # Whatever the tokenizer makes of them, a text sprinkled with zero-width characters scores.
    sprinkled = zw + zw.join(text.split(" ")) + zw
    _check_result(analyzer.score(sprinkled), analyzer)


def test_a_ten_megabyte_text_scores(analyzer):
    paragraph = " ".join(t for _, t, *_ in RECORDS) + "\n\n"
    big = paragraph * (10_000_000 // len(paragraph) + 1)
    assert len(big) >= 10_000_000
    # Without the per-sentence frame profile, which scores every sentence again (slow, not wrong).
    result = analyzer.score(big, frame_profile=False)
    _check_result(result, analyzer)
    assert result.n_known_terms > 0
    (many,) = analyzer.score_many([big])
    assert many.to_dict() == result.to_dict()


# --------------------------------------------------------------------------- threads


def _varied_texts(n=200):
    base = [t for _, t, *_ in RECORDS]
    out = []
    for i in range(n):
        a, b = base[i % len(base)], base[(i * 7 + 3) % len(base)]
        extra = SCRIPTS[i % len(SCRIPTS)] if i % 3 == 0 else ""
        # Unique tokens too, so that the tokenizer memo keeps growing during the run.
        out.append(f"{a} {b} uniqueword{i}x {extra}" if i % 5 else f"{a}")
    out[10] = ""
    out[11] = "   "
    return out


def _threaded(fn, items, workers=8):
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def test_one_analyzer_scores_identically_from_eight_threads(analyzer):
    texts = _varied_texts()
    expected = [analyzer.score(t).to_dict() for t in texts]
    assert _threaded(lambda t: analyzer.score(t).to_dict(), texts) == expected
    chunks = [texts[i : i + 7] for i in range(0, len(texts), 7)]
    got = _threaded(lambda c: [r.to_dict() for r in analyzer.score_many(c, frame_profile=True)], chunks)
    assert [d for part in got for d in part] == expected


@pytest.mark.parametrize("attempt", range(3))
def test_a_freshly_loaded_analyzer_used_first_from_threads_scores_identically(analyzer, saved_model, attempt):
    texts = _varied_texts()
    expected = [analyzer.score(t).to_dict() for t in texts]
    fresh = load(saved_model)  # its tokenizer memo and other caches start empty
    got = _threaded(lambda t: fresh.score(t).to_dict(), texts)
    assert got == expected
    again = load(saved_model)
    chunks = [texts[i : i + 5] for i in range(0, len(texts), 5)]
    parts = _threaded(lambda c: [r.to_dict() for r in again.score_many(c, frame_profile=True)], chunks)
    assert [d for part in parts for d in part] == expected


# --------------------------------------------------------------------------- input files through `framing score`

# Each case writes its input files into its own folder and gives the `framing score` arguments.
# The subprocesses of all cases run at once (module fixture), so they cost about one start-up.


def _case_cp1252(d):
    path = d / "legacy.txt"
    path.write_bytes(
        "The caf\u00e9 owners say \u201cstop the bomb sale\u201d \u2013 it kills civilians.".encode("cp1252")
    )
    return [path]


def _case_binary(d):
    path = d / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return [path]


BAD_JSONL_LINES = [
    # (raw line, expected error fragment or None when it should be scored)
    (b'{"id": "ok1", "text": "Stop the bomb sale now."}', None),
    (b"{not json", "not valid JSON"),
    (b'{"id": "no-text", "body": "the text is under another name"}', "field 'text' is missing"),
    (b'{"id": "null-text", "text": null}', "field 'text' is null"),
    (b'{"id": "int-text", "text": 42}', "field 'text' is int"),
    (b'{"id": "float-text", "text": 4.2e1}', "field 'text' is float"),
    (b'{"id": "list-text", "text": ["a", "b"]}', "field 'text' is list"),
    (b'{"id": "dict-text", "text": {"a": 1}}', "field 'text' is dict"),
    (b'{"id": "bool-text", "text": true}', "field 'text' is bool"),
    (b"[1, 2, 3]", "expected a JSON object"),
    (b'"just a string"', "expected a JSON object"),
    (b'{"id": "nul", "text": "a\x00b"}', "NUL"),
    (b'{"id": "latin1", "text": "caf\xe9 owners oppose the sale"}', None),
    (b'{"id": "ok2", "text": "Approve the jet sale; deterrence keeps the peace."}', None),
    (b'{"id": "cut", "text": "the file ends in the middle of a rec', "not valid JSON"),
]
# A blank line (line 3) is not a record; the last line has no newline.
BAD_JSONL_LINE_NUMBERS = [1, 2, *range(4, len(BAD_JSONL_LINES) + 2)]
BAD_CSV = 'id,text\nc1,"Stop the sale."\nc2,too,many,fields\nc3\nc4,"Approve the deal."\n'


def _case_broken(d):
    lines = [raw for raw, _ in BAD_JSONL_LINES]
    jsonl = d / "bad.jsonl"
    jsonl.write_bytes(b"\n".join(lines[:2]) + b"\n\n" + b"\n".join(lines[2:]))
    csv_path = d / "bad.csv"
    csv_path.write_text(BAD_CSV, encoding="utf-8")
    return [jsonl, csv_path]


DUPLICATES = [
    {"id": "a", "text": "Stop the bomb sale."},
    {"id": "a", "text": "Approve the jet sale."},
    {"id": "b", "text": "Bread prices rose."},
    {"id": "a", "text": "Stop the bomb sale."},
]


def _case_duplicates(d):
    return [write_jsonl(d / "dups.jsonl", DUPLICATES)]


def _case_empty_txt(d):
    (d / "empty.txt").write_bytes(b"")
    return [d / "empty.txt"]


def _case_empty_jsonl(d):
    (d / "empty.jsonl").write_bytes(b"")
    return [d / "empty.jsonl"]


def _case_csv_no_text(d):
    path = d / "no-text.csv"
    path.write_text("id,body\n1,Stop the sale.\n2,Approve the deal.\n", encoding="utf-8")
    return [path]


CLI_CASES = {
    "cp1252": _case_cp1252,
    "binary": _case_binary,
    "broken": _case_broken,
    "duplicates": _case_duplicates,
    "empty-txt": _case_empty_txt,
    "empty-jsonl": _case_empty_jsonl,
    "csv-no-text": _case_csv_no_text,
}


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory, saved_model):
    """{case: (input paths, completed process, output records)} for every case of CLI_CASES."""
    inputs = {}
    for name, build in CLI_CASES.items():
        inputs[name] = build(tmp_path_factory.mktemp(f"cli-{name}"))
    with ThreadPoolExecutor(len(inputs)) as pool:
        futures = {name: pool.submit(run_cli, "score", "-m", saved_model, *paths) for name, paths in inputs.items()}
        procs = {name: f.result() for name, f in futures.items()}
    out = {}
    for name, proc in procs.items():
        records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        out[name] = (inputs[name], proc, records)
    return out


def _run(cli_runs, name):
    paths, proc, records = cli_runs[name]
    assert "Traceback" not in proc.stderr, proc.stderr
    return paths, proc, records


def _assert_scored(out):
    assert out.get("error") is None, out
    assert set(out["stance"]) == {"arms_sales", "regional_stability"}


def test_a_cp1252_text_file_is_decoded_with_a_warning_and_scored(cli_runs):
    (path,), proc, out = _run(cli_runs, "cp1252")
    assert proc.returncode == 0, proc.stderr
    assert len(out) == 1  # one text file, one record
    _assert_scored(out[0])
    assert out[0]["source"] == str(path)
    warning_lines = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warning_lines) == 1, proc.stderr
    assert str(path) in warning_lines[0] and "cp1252" in warning_lines[0]


def test_a_binary_file_yields_an_error_record(cli_runs):
    (path,), proc, out = _run(cli_runs, "binary")
    assert proc.returncode == 1, proc.stderr
    assert len(out) == 1
    assert out[0]["source"] == str(path) and "binary" in out[0]["error"]
    assert "1 of 1 records could not be scored" in proc.stderr


def test_broken_jsonl_and_csv_lines_become_error_records_naming_source_and_line(cli_runs):
    (jsonl, csv_path), proc, out = _run(cli_runs, "broken")
    assert proc.returncode == 1, proc.stderr
    assert len(out) == len(BAD_JSONL_LINES) + 4, out  # one output per input record, in order
    for (raw, problem), line, record in zip(BAD_JSONL_LINES, BAD_JSONL_LINE_NUMBERS, out):
        assert record["source"] == str(jsonl)
        assert record["line"] == line, (raw, record)
        if problem is None:
            _assert_scored(record)
        else:
            assert problem in (record.get("error") or ""), (raw, record)
    csv_out = out[len(BAD_JSONL_LINES) :]
    assert [r["id"] for r in csv_out] == ["c1", "c2", "c3", "c4"]
    assert [r["line"] for r in csv_out] == [2, 3, 4, 5]
    assert all(r["source"] == str(csv_path) for r in csv_out)
    _assert_scored(csv_out[0])
    _assert_scored(csv_out[3])
    assert "fields" in csv_out[1]["error"] and "fields" in csv_out[2]["error"]
    n_errors = sum(1 for _, p in BAD_JSONL_LINES if p) + 2
    assert f"{n_errors} of {len(out)} records could not be scored" in proc.stderr
    # The invalid UTF-8 line was decoded with a warning naming the file and line.
    assert BAD_JSONL_LINES[12][0].startswith(b'{"id": "latin1"')
    assert f"{jsonl}, line {BAD_JSONL_LINE_NUMBERS[12]}" in proc.stderr


def test_duplicate_ids_are_all_scored(cli_runs):
    _, proc, out = _run(cli_runs, "duplicates")
    assert proc.returncode == 0, proc.stderr
    assert len(out) == len(DUPLICATES)
    assert [r["id"] for r in out] == ["a", "a", "b", "a"]
    assert [r["line"] for r in out] == [1, 2, 3, 4]
    for r in out:
        _assert_scored(r)
    assert out[0]["stance"] == out[3]["stance"]
    assert out[0]["stance"] != out[1]["stance"]


def test_an_empty_text_file_yields_one_neutral_result(cli_runs):
    _, proc, out = _run(cli_runs, "empty-txt")
    assert proc.returncode == 0, proc.stderr
    assert len(out) == 1
    _assert_scored(out[0])
    assert out[0]["n_known_terms"] == 0
    assert {s["label"] for s in out[0]["stance"].values()} == {"neutral"}
    assert out[0]["frames"]["primary"] is None


def test_an_empty_jsonl_file_yields_no_records(cli_runs):
    _, proc, out = _run(cli_runs, "empty-jsonl")
    assert proc.returncode == 0, proc.stderr
    assert out == [] and proc.stdout == ""


def test_a_csv_without_the_text_column_is_a_usage_error(cli_runs):
    (path,), proc, out = _run(cli_runs, "csv-no-text")
    assert proc.returncode == 2, proc.stderr
    assert out == []
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("framing: error:") and "'text'" in lines[0] and str(path) in lines[0]


# --------------------------------------------------------------------------- training data


def _corpus(tmp_path, edit, name="corpus.jsonl"):
    records = record_dicts()
    edit(records)
    return read_corpus(write_jsonl(tmp_path / name, records))


def _typo(records):
    records[16]["stance"]["arms_sales"] = "agianst"  # a01


def _single_label_topic(records):
    for r in records:
        r["stance"]["solo_topic"] = "yes"


def _rare_frame(records):
    records[0]["frames"].append("rare_frame")


def _conflicting_duplicate(records):
    # The same words as f02 (case and spacing aside), with the opposite stance.
    records.append({"id": "dup-of-f02", "text": "  " + records[1]["text"].upper(), "stance": {"arms_sales": "against"}})


def _rare_label(records):
    # 22 pro, 22 con and 4 unsure among the 48 fixture records.
    for i, r in enumerate(records[:48]):
        r["stance"]["policy"] = "pro" if i < 22 else "con" if i < 44 else "unsure"


def _training_warnings(corpus):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analyzer = framing.train(corpus, random_state=0)
    return analyzer, [str(w.message) for w in caught if issubclass(w.category, TrainingDataWarning)]


def test_a_typo_label_warns_naming_it(tmp_path):
    analyzer, messages = _training_warnings(_corpus(tmp_path, _typo))
    assert any("agianst" in m and "arms_sales" in m and "typo" in m for m in messages), messages
    assert "agianst" in analyzer.topics["arms_sales"].labels


def test_a_topic_with_a_single_label_is_refused_naming_it(tmp_path):
    with pytest.raises(ValueError, match="solo_topic"):
        framing.train(_corpus(tmp_path, _single_label_topic), random_state=0)


def test_a_frame_with_fewer_examples_than_the_folds_warns_naming_it(tmp_path):
    analyzer, messages = _training_warnings(_corpus(tmp_path, _rare_frame))
    assert any("rare_frame" in m and "3" in m for m in messages), messages
    assert "rare_frame" in analyzer.frames


def test_conflicting_duplicate_texts_warn_naming_both_ids(tmp_path):
    _, messages = _training_warnings(_corpus(tmp_path, _conflicting_duplicate))
    assert any("f02" in m and "dup-of-f02" in m and "conflicting" in m for m in messages), messages


def test_a_label_with_fewer_than_five_examples_warns(tmp_path):
    _, messages = _training_warnings(_corpus(tmp_path, _rare_label))
    assert any("policy" in m and "unsure" in m and "fewer than 5" in m for m in messages), messages


def test_a_clean_corpus_trains_without_training_data_warnings(corpus):
    _, messages = _training_warnings(corpus)
    assert messages == []


def _messy(records):
    _rare_label(records)
    _typo(records)
    _rare_frame(records)
    _conflicting_duplicate(records)


@pytest.fixture(scope="module")
def train_runs(tmp_path_factory):
    """`framing train` on a messy corpus and on one with a single-label topic, run at once."""
    runs = {}
    for name, edit in [("messy", _messy), ("solo", _single_label_topic)]:
        records = record_dicts()
        edit(records)
        d = tmp_path_factory.mktemp(f"train-{name}")
        runs[name] = (write_jsonl(d / f"{name}.jsonl", records), d / "m.joblib")
    with ThreadPoolExecutor(len(runs)) as pool:
        futures = {name: pool.submit(run_cli, "train", corpus, "-o", model) for name, (corpus, model) in runs.items()}
        return {name: (runs[name][1], f.result()) for name, f in futures.items()}


def test_cli_train_prints_each_training_warning_on_one_line(train_runs):
    model, proc = train_runs["messy"]
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert all(line.startswith(("framing: warning:", "trained on", "wrote")) for line in lines), proc.stderr
    for needle, tail in [
        ("agianst", "fix them in the corpus."),
        ("rare_frame", "Annotate more examples."),
        ("dup-of-f02", "Resolve them in the corpus."),
        ("'unsure'", "or merge them."),
    ]:
        hits = [line for line in lines if needle in line and line.startswith("framing: warning:")]
        assert hits, (needle, proc.stderr)
        assert any(line.endswith(tail) for line in hits), (needle, proc.stderr)  # the whole message on its line
    assert model.exists()
    load(model)


def test_cli_train_with_a_single_label_topic_is_a_usage_error(train_runs):
    model, proc = train_runs["solo"]
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("framing: error:") and "solo_topic" in lines[0], proc.stderr
    assert not model.exists()
