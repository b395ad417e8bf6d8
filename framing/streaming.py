"""Out-of-core training: an analyzer from a corpus too large to hold in memory.

:func:`train_streaming` reads a JSON Lines corpus (or an iterable of records) a line at a time,
never the whole file, and trains in chunks:

* **pass 1** reads every record once, validates it (with the same messages as
  :func:`framing.read_corpus`: file, line, field), and counts the documents, the topics and their
  labels, and the frames, which the incremental learners need up front;
* **passes 2..** (one per epoch) featurise each chunk with a stateless
  :class:`~sklearn.feature_extraction.text.HashingVectorizer` on the project's
  :class:`~framing.text.Tokenizer` and update one :class:`~sklearn.linear_model.SGDClassifier`
  (logistic loss) per topic, one binary model per frame, and one primary-frame model, with
  ``partial_fit``.

Memory is bounded by ``chunk_size`` records plus the models (``n_features`` weights per model and
class) plus the set of ids seen (for the duplicate-id check), whatever the size of the corpus.

Differences from :func:`framing.train`, all forced by the one-pass-per-epoch design:

* no vocabulary, so no ``min_df`` / ``max_df`` pruning and no IDF weights: IDF needs the document
  frequencies of the whole corpus before the first feature is built. Sublinear TF
  (``TfidfTransformer(use_idf=False, sublinear_tf=True)``) is possible per chunk, but the L2 norm of
  ``HashingVectorizer`` would then have to be applied after it, so it is left out: features are
  raw term counts, L2-normalised per document;
* ``class_weight="balanced"`` cannot be given to ``partial_fit``; the equivalent weights are computed
  from pass 1's label counts and given as a dict;
* no temperature calibration (``temperature_ = 1.0``) and, by default, no cross-validated frame
  thresholds: ``threshold="tuned"`` holds out the corpus's last records (one chunk at most, a fifth
  of the corpus at most) from the frame models and tunes each frame's threshold on them.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier

from framing.analyzer import Analyzer, _frame_order
from framing.corpus import CorpusError, _Row, _row_from_mapping, unreadable
from framing.models import FrameClassifier, StanceClassifier
from framing.text import Tokenizer
from framing.topics import Topic, infer_topic

__all__ = ["build_hashing_vectorizer", "train_streaming"]

_RECORDS_SOURCE = "<records>"
# Feature settings the streamed models are built with, recorded in the estimators' parameters.
_FEATURES: dict[str, Any] = {
    "ngram_range": (1, 2),
    "min_df": 1,
    "max_df": 1.0,
    "max_features": None,
    "sublinear_tf": False,
    "stem": True,
    "stop_words": True,
    "char_ngram_range": None,
    "char_max_features": None,
}


def build_hashing_vectorizer(n_features: int = 2**20) -> HashingVectorizer:
    """The stateless feature extractor of streamed models.

    Stemmed word 1-2-grams of :class:`framing.text.Tokenizer` (stop words removed), hashed into
    ``n_features`` columns, counts L2-normalised per document.

    Parameters
    ----------
    n_features : int, default=2**20
        Columns of the feature space. Fewer columns mean smaller models and more collisions.

    Returns
    -------
    HashingVectorizer
    """
    return HashingVectorizer(
        tokenizer=Tokenizer(stem=True, stop_words=True),
        lowercase=False,
        token_pattern=None,
        ngram_range=(1, 2),
        n_features=n_features,
        alternate_sign=False,
        norm="l2",
        dtype=np.float64,
    )


class _Source:
    """Re-readable stream of validated rows from a JSONL file or an iterable of records.

    A one-shot iterator (a generator) is read once, in pass 1, and spooled to a temporary JSON
    Lines file that later passes read, so it is never held in memory either.
    """

    def __init__(self, path_or_records: Any, *, text_col: str, id_col: str | None, encoding: str) -> None:
        self.text_col = text_col
        self.id_col = id_col
        self.encoding = encoding
        self._spool: str | None = None
        self._spooled = False
        if isinstance(path_or_records, (str, os.PathLike)):
            self.path: Path | None = Path(path_or_records)
            suffixes = [x.lower() for x in self.path.suffixes if x.lower() != ".gz"]
            if suffixes and suffixes[-1] in {".csv", ".tsv", ".tab"}:
                raise CorpusError(
                    self.path, None, None, "streaming training reads JSON Lines only (one JSON record a line)"
                )
            self.source = str(self.path)
            self.records: Any = None
        else:
            if isinstance(path_or_records, (bytes, Mapping)):
                raise TypeError(
                    "train_streaming expects a path or an iterable of records (dicts), "
                    f"got {type(path_or_records).__name__}."
                )
            try:
                iter(path_or_records)
            except TypeError:
                raise TypeError(
                    f"train_streaming expects a path or an iterable of records, got {type(path_or_records).__name__}."
                ) from None
            self.path = None
            self.source = _RECORDS_SOURCE
            self.records = path_or_records
            # An iterator returns itself from iter(): it can be read only once.
            self._one_shot = iter(path_or_records) is path_or_records

    def close(self) -> None:
        """Delete the spool file, if any."""
        if self._spool is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._spool)
            self._spool = None

    def rows(self) -> Iterator[_Row]:
        """Validated rows, one at a time (pass 1 spools a one-shot iterator)."""
        if self.path is not None:
            yield from self._file_rows(self.path)
        elif self._spooled:
            assert self._spool is not None
            yield from self._spool_rows(self._spool)
        elif self._one_shot:
            yield from self._spool_and_yield()
        else:
            yield from self._record_rows(self.records)

    def _file_rows(self, path: Path) -> Iterator[_Row]:
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise unreadable(path, exc) from None
        with raw:
            stream: Any = gzip.GzipFile(fileobj=raw) if path.suffix.lower() == ".gz" else raw
            offset = 0
            try:
                # Binary lines split on b"\n" only, like read_corpus: JSON strings may hold raw
                # U+2028 or "\r", which text-mode line splitting would break on.
                for lineno, data in enumerate(stream, start=1):
                    try:
                        line = data.decode(self.encoding)
                    except UnicodeDecodeError as exc:
                        raise CorpusError(
                            path,
                            lineno,
                            None,
                            f"bytes not valid {self.encoding} at byte {offset + exc.start}; "
                            "pass the file's encoding (e.g. encoding='cp1252')",
                        ) from None
                    except LookupError:
                        raise CorpusError(path, None, None, f"unknown encoding {self.encoding!r}") from None
                    offset += len(data)
                    line = line.removesuffix("\n")
                    if lineno == 1:
                        line = line.removeprefix("\ufeff")
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise CorpusError(
                            path, lineno, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
                        ) from None
                    if not isinstance(obj, dict):
                        raise CorpusError(path, lineno, None, f"expected a JSON object, got {type(obj).__name__}")
                    yield _row_from_mapping(path, lineno, obj, self.text_col, self.id_col)
            except (OSError, EOFError) as exc:
                if isinstance(exc, CorpusError):
                    raise
                raise CorpusError(path, None, None, f"cannot read: {exc}") from None

    def _record_rows(self, records: Iterable[Any]) -> Iterator[_Row]:
        source = Path(_RECORDS_SOURCE)
        for lineno, obj in enumerate(records, start=1):
            if not isinstance(obj, Mapping):
                raise CorpusError(source, lineno, None, f"expected a record (a dict), got {type(obj).__name__}")
            yield _row_from_mapping(source, lineno, dict(obj), self.text_col, self.id_col)

    def _spool_and_yield(self) -> Iterator[_Row]:
        fd, self._spool = tempfile.mkstemp(prefix="framing-stream-", suffix=".jsonl")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for row in self._record_rows(self.records):
                out.write(json.dumps(_row_to_json(row), ensure_ascii=False) + "\n")
                yield row
        self._spooled = True

    @staticmethod
    def _spool_rows(spool: str) -> Iterator[_Row]:
        with open(spool, encoding="utf-8", newline="\n") as f:
            for line in f:
                d = json.loads(line)
                yield _Row(d["line"], d["id"], d["text"], d["stance"], d["frames"], d["primary"], {})


def _row_to_json(row: _Row) -> dict[str, Any]:
    return {
        "line": row.line,
        "id": row.id,
        "text": row.text,
        "stance": row.stance,
        "frames": row.frames,
        "primary": row.primary,
    }


def _ordered_frames(row: _Row) -> list[str]:
    """The record's frames, primary first (as :func:`framing.read_corpus` orders them)."""
    fs = list(row.frames or [])
    if row.primary is not None:
        fs = [row.primary, *[f for f in fs if f != row.primary]]
    return fs


class _Census:
    """What pass 1 learns: counts, topics and labels, frames, and whether records have frames."""

    def __init__(self) -> None:
        self.n = 0
        self.stance: dict[str, Counter] = {}
        self.frames: Counter = Counter()
        self.primary: Counter = Counter()
        self.first: Counter = Counter()
        self.has_frames = False
        self.has_primary = False
        self.n_framed = 0

    def add(self, row: _Row) -> None:
        self.n += 1
        for topic, label in row.stance.items():
            self.stance.setdefault(topic, Counter())[label] += 1
        if row.frames is not None:
            self.has_frames = True
        if row.primary is not None:
            self.has_primary = True
            self.primary[row.primary] += 1
        fs = _ordered_frames(row)
        self.frames.update(fs)
        if fs:
            self.n_framed += 1
            self.first[fs[0]] += 1

    def label_counts(self) -> dict[str, dict[str, int]]:
        """The same figures as :meth:`framing.Corpus.label_counts`."""
        out: dict[str, dict[str, int]] = {t: dict(sorted(c.items())) for t, c in sorted(self.stance.items())}
        if self.has_frames:
            out["frames"] = dict(sorted(self.frames.items()))
        if self.has_primary:
            out["primary_frame"] = dict(sorted(self.primary.items()))
        return out


def _digest_record(row: _Row, topics: list[str], census: _Census) -> bytes:
    """One record's share of :meth:`framing.Corpus.digest`, byte for byte."""
    record = {
        "id": row.id,
        "text": row.text,
        "stance": {t: row.stance.get(t) for t in topics},
        "frames": _ordered_frames(row) if census.has_frames else None,
        "primary": row.primary if census.has_primary else None,
    }
    return json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"


def _balanced(counts: Mapping[Any, int]) -> dict[Any, float]:
    """``class_weight="balanced"`` from label counts: ``n / (n_classes * count)``."""
    total = sum(counts.values())
    return {label: total / (len(counts) * count) for label, count in counts.items()}


def _sgd(alpha: float, random_state: int, class_weight: dict[Any, float] | None, average: bool) -> SGDClassifier:
    return SGDClassifier(
        loss="log_loss",
        penalty="l2",
        alpha=alpha,
        class_weight=class_weight,
        shuffle=False,
        average=average,
        random_state=random_state,
    )


def _chunks(rows: Iterator[_Row], chunk_size: int, cut: int | None) -> Iterator[tuple[int, list[_Row]]]:
    """Chunks of at most ``chunk_size`` rows, each with its first row's index; a chunk boundary at ``cut``."""
    chunk: list[_Row] = []
    start = 0
    for i, row in enumerate(rows):
        if chunk and (len(chunk) == chunk_size or i == cut):
            yield start, chunk
            chunk, start = [], i
        chunk.append(row)
    if chunk:
        yield start, chunk


def _tune_thresholds(proba: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Per-frame threshold maximising F1 on held-out rows; 0.5 for a frame with under 2 positives or negatives."""
    candidates = np.round(np.arange(0.05, 0.96, 0.05), 2)
    thresholds = np.full(Y.shape[1], 0.5)
    for j in range(Y.shape[1]):
        column = Y[:, j].astype(bool)
        if min(int(column.sum()), int((~column).sum())) < 2:
            continue
        predicted = proba[:, j][:, None] >= candidates[None, :]
        truth = column[:, None]
        tp = (predicted & truth).sum(axis=0)
        fp = (predicted & ~truth).sum(axis=0)
        fn = (~predicted & truth).sum(axis=0)
        scores = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        ties = candidates[np.isclose(scores, scores.max())]
        thresholds[j] = ties[np.argmin(np.abs(ties - 0.5))]
    return thresholds


def train_streaming(
    path_or_records: str | os.PathLike | Iterable[Mapping[str, Any]],
    *,
    chunk_size: int = 1000,
    epochs: int = 2,
    random_state: int = 0,
    n_features: int = 2**20,
    text_col: str = "text",
    id_col: str | None = "id",
    alpha: float = 1e-4,
    average: bool = False,
    threshold: str | float = 0.5,
    frames: bool = True,
    topics: Mapping[str, Topic] | None = None,
    poles: Mapping[str, tuple[str, str]] | None = None,
    encoding: str = "utf-8",
) -> Analyzer:
    """Train an analyzer out of core, reading the corpus a chunk at a time.

    Parameters
    ----------
    path_or_records : str, PathLike or iterable of dict
        A JSON Lines corpus in :func:`framing.read_corpus`'s format (optionally ``.gz``), or
        records with the same fields. A one-shot iterator (e.g. a generator) is consumed once,
        lazily, and spooled to a temporary file for the later passes.
    chunk_size : int, default=1000
        Records featurised and learnt from together; bounds the memory of one step.
    epochs : int, default=2
        Passes over the corpus after the counting pass.
    random_state : int, default=0
        Seed of the within-chunk shuffles and the learners: the same corpus and seed give the
        same model, byte for byte.
    n_features : int, default=2**20
        Hashed feature columns. Each model keeps ``n_features`` float64 weights per class.
    text_col : str, default="text"
        The text field.
    id_col : str or None, default="id"
        The id field.
    alpha : float, default=1e-4
        L2 regularisation of the SGD learners (about ``1 / (C * n_documents)`` of a logistic regression).
    average : bool, default=False
        Averaged SGD (the mean of the weights over all updates), which is often steadier with few epochs.
    threshold : "tuned" or float, default=0.5
        One fixed probability threshold for every frame, or ``"tuned"``: hold out the last
        records (at most one chunk and a fifth of the corpus) from the frame models and pick each
        frame's threshold to maximise its F1 on them.
    frames : bool, default=True
        Train the frame models when the corpus has frame labels.
    topics : dict of str to Topic, optional
        Topic definitions; by default inferred from the labels (bundled topics keep theirs).
    poles : dict of str to (str, str), optional
        For inferred topics, the (positive, negative) labels of the signed score.
    encoding : str, default="utf-8"
        The file's text encoding.

    Returns
    -------
    Analyzer
        A regular analyzer (``info["streaming"]`` is true): it scores, explains, saves and loads
        like one from :func:`framing.train`.

    Raises
    ------
    CorpusError
        Naming the file (``<records>`` for an iterable), line (the record's 1-based position)
        and field of the first invalid record, a duplicate id, or an empty corpus.
    ValueError
        If the parameters are invalid, the corpus has no stance labels and no frames, or a topic
        has a single label.

    Examples
    --------
    >>> analyzer = train_streaming("data/corpus.jsonl", chunk_size=500)  # doctest: +SKIP
    >>> analyzer.score("Approve the sale.").stance["arms_sales"].label  # doctest: +SKIP
    'favor'
    """
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ValueError(f"chunk_size must be an int >= 1, got {chunk_size!r}.")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}.")
    if not isinstance(n_features, int) or n_features < 2:
        raise ValueError(f"n_features must be an int >= 2, got {n_features!r}.")
    if threshold != "tuned" and not (isinstance(threshold, (int, float)) and 0.0 < float(threshold) < 1.0):
        raise ValueError(f"threshold must be 'tuned' or a float in (0, 1), got {threshold!r}.")
    source = _Source(path_or_records, text_col=text_col, id_col=id_col, encoding=encoding)
    try:
        return _train(
            source,
            chunk_size=chunk_size,
            epochs=epochs,
            random_state=random_state,
            n_features=n_features,
            alpha=alpha,
            average=average,
            threshold=threshold,
            frames=frames,
            topics=topics,
            poles=poles,
        )
    finally:
        source.close()


def _train(
    source: _Source,
    *,
    chunk_size: int,
    epochs: int,
    random_state: int,
    n_features: int,
    alpha: float,
    average: bool,
    threshold: str | float,
    frames: bool,
    topics: Mapping[str, Topic] | None,
    poles: Mapping[str, tuple[str, str]] | None,
) -> Analyzer:
    where = Path(source.source)
    # Pass 1: validate, count, and learn the label sets.
    census = _Census()
    seen: dict[str, int] = {}
    for row in source.rows():
        if row.id in seen:
            raise CorpusError(where, row.line, "id", f"duplicate id {row.id!r} (first on line {seen[row.id]})")
        seen[row.id] = row.line
        census.add(row)
    del seen
    if census.n == 0:
        raise CorpusError(where, None, None, "no records: the corpus is empty")
    use_frames = frames and census.has_frames and bool(census.frames)
    if not census.stance and not use_frames:
        raise ValueError(f"{source.source}: the corpus has no stance labels and no frames; nothing to train.")
    topic_defs: dict[str, Topic] = {}
    for name in sorted(census.stance):
        labels = sorted(census.stance[name])
        if len(labels) < 2:
            raise ValueError(
                f"{source.source}: topic {name!r} has only one label ({labels}); a stance model needs two or more. "
                "Add texts with other labels or drop the topic."
            )
        topic_defs[name] = (
            topics[name] if topics and name in topics else infer_topic(name, labels, (poles or {}).get(name))
        )
    topic_names = sorted(census.stance)

    vectorizer = build_hashing_vectorizer(n_features).fit([])
    stance_sgd = {name: _sgd(alpha, random_state, _balanced(census.stance[name]), average) for name in topic_defs}
    stance_classes = {name: np.asarray(sorted(census.stance[name]), dtype=object) for name in topic_defs}
    frame_names = sorted(census.frames, key=_frame_order) if use_frames else []
    frame_index = {f: j for j, f in enumerate(frame_names)}
    frame_sgd = []
    for f in frame_names:
        positives = census.frames[f]
        negatives = census.n_framed - positives
        weights = _balanced({1: positives, 0: negatives}) if negatives > 0 else None
        frame_sgd.append(_sgd(alpha, random_state, weights, average))
    # A record's primary frame is its first (ordered) frame, as framing.train takes it.
    primary_classes: np.ndarray | None = None
    primary_sgd: SGDClassifier | None = None
    if use_frames and len(census.first) >= 2:
        primary_classes = np.asarray(sorted(census.first), dtype=object)
        primary_sgd = _sgd(alpha, random_state, _balanced(census.first), average)
    holdout = 0
    if use_frames:
        if threshold == "tuned":
            holdout = min(chunk_size, census.n // 5)
        cut = census.n - holdout if holdout else None
    else:
        cut = None

    digest = hashlib.sha256()
    tuned: np.ndarray | None = None
    binary = np.array([0, 1])
    for epoch in range(epochs):
        for start, chunk in _chunks(source.rows(), chunk_size, cut):
            if epoch == 0:
                for row in chunk:
                    digest.update(_digest_record(row, topic_names, census))
            order = np.random.default_rng([random_state, epoch, start]).permutation(len(chunk))
            chunk = [chunk[k] for k in order]
            X = vectorizer.transform([row.text for row in chunk])
            for name, model in stance_sgd.items():
                rows = [i for i, row in enumerate(chunk) if row.stance.get(name) is not None]
                if rows:
                    y = np.asarray([chunk[i].stance[name] for i in rows], dtype=object)
                    model.partial_fit(X[rows], y, classes=stance_classes[name])
            if not use_frames:
                continue
            framed = [i for i, row in enumerate(chunk) if row.frames or row.primary]
            if not framed:
                continue
            lists = [_ordered_frames(chunk[i]) for i in framed]
            Y = np.zeros((len(framed), len(frame_names)), dtype=np.int64)
            for r, fs in enumerate(lists):
                for f in fs:
                    Y[r, frame_index[f]] = 1
            Xf = X[framed]
            primary_y = np.asarray([fs[0] for fs in lists], dtype=object)
            if primary_sgd is not None:
                primary_sgd.partial_fit(Xf, primary_y, classes=primary_classes)
            if cut is not None and start >= cut:
                if epoch == epochs - 1:
                    proba = np.column_stack([_binary_proba(m, Xf) for m in frame_sgd])
                    tuned = _tune_thresholds(proba, Y)
                continue
            for j, model in enumerate(frame_sgd):
                model.partial_fit(Xf, Y[:, j], classes=binary)

    # The loss object is needed to learn, not to predict; its class lives in a compiled module
    # whose import name changed across scikit-learn releases. Dropping it keeps model files
    # free of it (and the loader's allow-list one entry shorter).
    for model in [*stance_sgd.values(), primary_sgd]:
        if model is not None and hasattr(model, "_loss_function_"):
            del model._loss_function_

    stance_models: dict[str, StanceClassifier] = {}
    for name, model in stance_sgd.items():
        wrapped = StanceClassifier(**_FEATURES, C=1.0 / (alpha * census.n), calibrate=False, random_state=random_state)
        wrapped.estimator_ = model
        wrapped.classes_ = model.classes_
        wrapped.n_features_in_ = n_features
        wrapped.temperature_ = 1.0
        wrapped.vectorizer_ = vectorizer
        stance_models[name] = wrapped

    frame_model = None
    if use_frames:
        frame_model = FrameClassifier(
            **_FEATURES,
            C=1.0 / (alpha * census.n),
            threshold=threshold,
            labels=frame_names,
            random_state=random_state,
        )
        frame_model.classes_ = np.asarray(frame_names, dtype=object)
        coef = np.zeros((len(frame_names), n_features))
        intercept = np.zeros(len(frame_names))
        for j, model in enumerate(frame_sgd):
            if hasattr(model, "coef_"):
                coef[j] = model.coef_[0]
                intercept[j] = model.intercept_[0]
            else:
                # Only held-out records have this frame: the model never saw it used.
                intercept[j] = -20.0
        frame_model.coef_ = coef
        frame_model.intercept_ = intercept
        frame_model.thresholds_ = (
            tuned if tuned is not None else np.full(len(frame_names), 0.5 if threshold == "tuned" else float(threshold))
        )
        frame_model.primary_estimator_ = primary_sgd
        frame_model.n_features_in_ = n_features
        frame_model.vectorizer_ = vectorizer

    params = {
        "features": {
            **{k: list(v) if isinstance(v, tuple) else v for k, v in _FEATURES.items()},
            "n_features": n_features,
        },
        "streaming": {
            "chunk_size": chunk_size,
            "epochs": epochs,
            "alpha": alpha,
            "average": average,
            "threshold": threshold,
            "holdout": holdout,
            "loss": "log_loss",
            "class_weight": "balanced (from pass-1 counts)",
        },
    }
    info = {
        "corpus": {
            "source": source.source,
            "digest": "sha256:" + digest.hexdigest(),
            "n_documents": census.n,
            "label_counts": census.label_counts(),
        },
        "params": params,
        "random_state": random_state,
        "n_features": n_features,
        "streaming": True,
    }
    return Analyzer(vectorizer, stance_models, frame_model, topic_defs, info)


def _binary_proba(model: SGDClassifier, X: Any) -> np.ndarray:
    if not hasattr(model, "coef_"):
        return np.zeros(X.shape[0])
    return model.predict_proba(X)[:, 1]
