"""Out-of-core training (framing.streaming): validity, persistence, determinism, laziness, errors, CLI."""

from __future__ import annotations

import hashlib
import json
from itertools import islice
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, run_cli

import framing
from framing.corpus import CorpusError
from framing.streaming import train_streaming

N_RECORDS = 300
CHUNK = 100
OPTIONS = {"chunk_size": CHUNK, "epochs": 2, "n_features": 2**18, "random_state": 0}
SAMPLE = "We must stop selling bombs to this regime; civilians are dying. The deal also breaks the export law."


def _lines() -> list[str]:
    with open(ROOT / "data" / "corpus.jsonl", encoding="utf-8") as f:
        return [line for line in islice(f, N_RECORDS) if line.strip()]


@pytest.fixture(scope="module")
def subset_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "subset.jsonl"
    path.write_text("".join(_lines()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def streamed(subset_path):
    return train_streaming(subset_path, **OPTIONS)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_trains_a_valid_analyzer(streamed, subset_path):
    corpus = framing.read_corpus(subset_path)
    assert isinstance(streamed, framing.Analyzer)
    assert streamed.info["streaming"] is True
    assert streamed.info["corpus"]["n_documents"] == len(corpus) == N_RECORDS
    assert streamed.info["corpus"]["digest"] == corpus.digest()
    assert streamed.info["corpus"]["label_counts"] == corpus.label_counts()
    assert set(streamed.stance_models) == set(corpus.topics)
    assert streamed.frame_model is not None
    assert set(streamed.frames) == {f for fs in corpus.frames for f in fs}
    for model in streamed.stance_models.values():
        assert model.temperature_ == 1.0
        assert model.n_features_in_ == OPTIONS["n_features"]
    results = streamed.score_many([*corpus.texts[:40], "", "zzz qqq"])
    for result in results:
        for topic, stance in result.stance.items():
            assert stance.label in streamed.topics[topic].labels
            assert sum(stance.probabilities.values()) == pytest.approx(1.0)
            assert stance.score is None or -1.0 <= stance.score <= 1.0
        assert all(0.0 <= p <= 1.0 for p in result.frames.probabilities.values())
    assert results[-2].frames.primary is None  # an empty text: no frames, neutral stance
    # Better than chance on its own training data: the models learnt something.
    predicted = [r.stance["arms_sales"].label for r in results[:40]]
    gold = corpus.stance["arms_sales"][:40]
    assert np.mean([p == g for p, g in zip(predicted, gold) if g is not None]) > 0.5


def test_save_load_round_trip_and_explain(streamed, tmp_path):
    path = tmp_path / "stream.joblib"
    framing.save(streamed, path)
    loaded = framing.load(path)  # the verifying loader: every global is on the allow-list
    assert loaded.info["streaming"] is True
    assert loaded.score(SAMPLE) == streamed.score(SAMPLE)
    texts = [SAMPLE, "Approve the jets; deterrence keeps the peace.", ""]
    assert loaded.score_many(texts) == streamed.score_many(texts)
    explanation = loaded.explain(SAMPLE)
    for topic, e in explanation.topics.items():
        assert e.terms, topic
        assert e.intercept + sum(t.contribution for t in e.terms) == pytest.approx(e.decision)
        analyzer_ngrams = set(loaded.vectorizer.build_analyzer()(SAMPLE))
        for term in e.terms:
            assert set(term.term.split(" | ")) <= analyzer_ngrams
    assert "sell" in {t.term for e in explanation.topics.values() for t in e.terms}
    assert explanation.format_text()


def test_top_terms_named_by_sample_texts(streamed, subset_path):
    # Hashed features keep no vocabulary: without texts there is nothing to name the columns.
    with pytest.raises(ValueError, match="hashed features"):
        streamed.top_terms()
    texts = framing.read_corpus(subset_path).texts[:100]
    terms = streamed.top_terms(n=5, texts=texts)
    seen = {gram for text in texts for gram in streamed.vectorizer.build_analyzer()(text)}
    assert set(terms["stance"]) == set(streamed.stance_models)
    assert set(terms["frames"]) == set(streamed.frames)
    for ranked in [*terms["frames"].values(), *(r for by in terms["stance"].values() for r in by.values())]:
        assert len(ranked) == 5
        assert [w for _, w in ranked] == sorted((w for _, w in ranked), reverse=True)
        for name, _ in ranked:
            assert set(name.split(" | ")) <= seen
    # The columns ranked are exactly those the sample texts fill.
    columns = np.unique(streamed.vectorizer.transform(texts).nonzero()[1])
    for j, frame in enumerate(streamed.frame_model.classes_):
        assert terms["frames"][frame][0][1] == pytest.approx(streamed.frame_model.coef_[j][columns].max())


def test_deterministic_bytes(subset_path, streamed, tmp_path):
    first, second = tmp_path / "a.joblib", tmp_path / "b.joblib"
    framing.save(streamed, first)
    framing.save(train_streaming(subset_path, **OPTIONS), second)
    assert _sha(first) == _sha(second)
    framing.save(train_streaming(subset_path, **{**OPTIONS, "random_state": 1}), third := tmp_path / "c.joblib")
    assert _sha(third) != _sha(first)


class _Record(dict):
    """A record that counts how many of its kind are alive."""

    alive = 0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        type(self).alive += 1

    def __del__(self) -> None:
        type(self).alive -= 1


def test_generator_is_consumed_lazily(streamed):
    lines = _lines()
    state = {"yielded": 0, "max_alive": 0, "calls": 0}

    def records():
        state["calls"] += 1
        for line in lines:
            record = _Record(json.loads(line))
            state["max_alive"] = max(state["max_alive"], _Record.alive)
            state["yielded"] += 1
            yield record
            del record

    gen = records()
    analyzer = train_streaming(gen, **OPTIONS)
    assert state["calls"] == 1 and state["yielded"] == N_RECORDS
    # Never more than a chunk of records held at once (in fact one at a time: later passes read a spool file).
    assert state["max_alive"] <= CHUNK
    assert state["max_alive"] <= 2
    assert analyzer.info["corpus"]["source"] == "<records>"
    # The same records give the same model as the file.
    assert analyzer.info["corpus"]["digest"] == streamed.info["corpus"]["digest"]
    assert analyzer.score(SAMPLE) == streamed.score(SAMPLE)


def test_list_of_records_works(streamed):
    analyzer = train_streaming([json.loads(line) for line in _lines()], **OPTIONS)
    assert analyzer.score(SAMPLE) == streamed.score(SAMPLE)


def test_malformed_line_names_file_and_line(tmp_path):
    lines = _lines()[:20]
    lines[6] = '{"id": "broken", "text": "no closing brace"\n'
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        train_streaming(path, chunk_size=5)
    assert info.value.path == str(path) and info.value.line == 7
    assert f"{path}, line 7" in str(info.value) and "not valid JSON" in str(info.value)
    # Same message as read_corpus.
    with pytest.raises(CorpusError) as batch_info:
        framing.read_corpus(path)
    assert str(batch_info.value) == str(info.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.pop("text"), "text"),
        (lambda r: r.update(text=5), "text"),
        (lambda r: r.update(stance={"arms_sales": 3}), "stance.arms_sales"),
        (lambda r: r.update(frames="economic"), "frames"),
    ],
)
def test_invalid_field_named_like_read_corpus(tmp_path, change, field):
    records = [json.loads(line) for line in _lines()[:10]]
    change(records[3])
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        train_streaming(path)
    assert (info.value.line, info.value.field) == (4, field)
    with pytest.raises(CorpusError) as batch_info:
        framing.read_corpus(path)
    assert str(batch_info.value) == str(info.value)


def test_duplicate_id_and_empty_corpus(tmp_path):
    lines = _lines()[:5]
    path = tmp_path / "dup.jsonl"
    path.write_text("".join([*lines, lines[1]]), encoding="utf-8")
    with pytest.raises(CorpusError, match="line 6, field 'id': duplicate id"):
        train_streaming(path)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="the corpus is empty"):
        train_streaming(empty)
    with pytest.raises(CorpusError, match="<records>, line 2: expected a record"):
        train_streaming([json.loads(lines[0]), "not a record"])


def test_parameter_checks(subset_path):
    for bad in ({"chunk_size": 0}, {"epochs": 0}, {"threshold": 1.5}):
        with pytest.raises(ValueError):
            train_streaming(subset_path, **bad)
    with pytest.raises(TypeError):
        train_streaming(42)


def test_tuned_thresholds_and_averaging(subset_path):
    analyzer = train_streaming(subset_path, **{**OPTIONS, "threshold": "tuned", "average": True, "epochs": 1})
    assert analyzer.info["params"]["streaming"]["holdout"] == min(CHUNK, N_RECORDS // 5)
    thresholds = analyzer.frame_model.thresholds_
    assert thresholds.shape == (len(analyzer.frames),)
    assert ((thresholds > 0) & (thresholds < 1)).all()
    assert analyzer.score(SAMPLE).frames is not None


def test_cli_streaming(subset_path, tmp_path, empty_nltk_data):
    model = tmp_path / "cli-stream.joblib"
    proc = run_cli("train", subset_path, "-o", model, "--streaming", "--chunk-size", "100", "--epochs", "1")
    assert proc.returncode == 0, proc.stderr
    assert "streaming" in proc.stderr and f"on {N_RECORDS} texts" in proc.stderr
    loaded = framing.load(model)
    assert loaded.info["streaming"] is True
    assert loaded.info["params"]["streaming"]["epochs"] == 1
    assert loaded.info["params"]["streaming"]["chunk_size"] == 100
    text = tmp_path / "text.txt"
    text.write_text(SAMPLE, encoding="utf-8")
    scored = run_cli("score", text, "-m", model)
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout.splitlines()[0])["stance"]
    bad = run_cli("train", subset_path, "-o", tmp_path / "x.joblib", "--streaming", "--epochs", "0")
    assert bad.returncode == 2 and "--epochs" in bad.stderr
