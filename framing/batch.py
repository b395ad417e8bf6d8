"""Streaming scoring of large inputs: read records, score them in chunks, write them in order.

Memory stays flat however large the input: records are read lazily, scored a chunk at a time
(optionally in worker processes, each holding the model once), and written as soon as they are
done. Every input record yields exactly one output record: a result, or an error record that
names the source, the line and the reason.
"""

from __future__ import annotations

import csv
import glob
import gzip
import json
import os
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from framing.result import flat_scores

__all__ = [
    "InputEncodingWarning",
    "InputError",
    "Record",
    "count_output_records",
    "expand_inputs",
    "iter_records",
    "output_columns",
    "score_dask",
    "score_dask_dataframe",
    "score_records",
    "score_records_dask",
    "write_records",
]

_TEXT_SUFFIXES = {".txt", ".text", ".md"}
_TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_FALLBACK_ENCODING = "cp1252"


class InputError(ValueError):
    """An input that cannot be read at all (no such file, unknown format): a usage error."""


class InputEncodingWarning(UserWarning):
    """Bytes that are not valid in the given encoding were decoded with the fallback (cp1252)."""


@dataclass
class Record:
    """One input record: its id and text, or why it could not be read.

    Attributes
    ----------
    id : str
        The record's id (from the id column, else ``<source>:<line>``, or the file path for text files).
    text : str or None
        The text; ``None`` when ``error`` says why there is none.
    source : str
        The file (``-`` for standard input).
    line : int or None
        The line the record starts on (``None`` for a whole text file).
    error : str or None
        Why the record could not be scored.
    """

    id: str
    text: str | None
    source: str
    line: int | None
    error: str | None = None


def _expand(inputs: Iterable[str | Path]) -> Iterator[str]:
    for item in inputs:
        item = str(item)
        if item == "-":
            yield item
        elif os.path.isdir(item):
            found = sorted(
                str(p)
                for p in Path(item).rglob("*")
                if p.is_file() and _kind_of(str(p), None) is not None and not p.name.startswith(".")
            )
            if not found:
                raise InputError(f"{item}: the folder holds no .txt, .jsonl, .csv or .tsv files")
            yield from found
        elif any(c in item for c in "*?[") and not os.path.exists(item):
            found = sorted(glob.glob(item, recursive=True))
            if not found:
                raise InputError(f"{item}: the pattern matches no file")
            yield from (f for f in found if os.path.isfile(f))
        elif not os.path.exists(item):
            raise InputError(f"{item}: no such file")
        else:
            yield item


def expand_inputs(inputs: Iterable[str | Path]) -> list[str]:
    """Resolve files, folders and glob patterns to the list of files to read, in order.

    Raises
    ------
    InputError
        If an input does not exist, or a folder or pattern finds no file.
    """
    return list(_expand(inputs))


def _kind_of(path: str, fmt: str | None) -> str | None:
    if fmt:
        return fmt
    name = path.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = os.path.splitext(name)[1]
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix in _TABLE_SUFFIXES:
        return "csv" if suffix == ".csv" else "tsv"
    if suffix in _TEXT_SUFFIXES:
        return "text"
    return None


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw


def _decode(data: bytes, encoding: str, where: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        warnings.warn(
            f"{where}: not valid {encoding}; decoded as {_FALLBACK_ENCODING} (undecodable bytes replaced).",
            InputEncodingWarning,
            stacklevel=2,
        )
        return data.decode(_FALLBACK_ENCODING, errors="replace")


def iter_records(
    inputs: Iterable[str | Path],
    *,
    text_col: str = "text",
    id_col: str | None = "id",
    encoding: str = "utf-8",
    format: str | None = None,
) -> Iterator[Record]:
    """Read records from files, folders, glob patterns or ``-`` (standard input), lazily.

    A ``.txt`` file is one record. A ``.jsonl`` file holds one JSON object per line, a
    ``.csv``/``.tsv`` file one record per row; ``text_col`` and ``id_col`` name the fields.
    Files may be gzip-compressed. Bytes that are not valid ``encoding`` are decoded as cp1252
    with an :class:`InputEncodingWarning`. A line that cannot be read becomes a record with an
    ``error``, so nothing is silently dropped.

    Parameters
    ----------
    inputs : iterable of str or Path
        Files, folders (searched recursively), glob patterns, or ``-``.
    text_col : str, default="text"
        The text field (JSONL) or column (CSV/TSV).
    id_col : str or None, default="id"
        The id field or column.
    encoding : str, default="utf-8"
        The expected encoding.
    format : {"text", "jsonl", "csv", "tsv"}, optional
        Force a format (needed for standard input, which is otherwise read as JSONL).

    Yields
    ------
    Record

    Raises
    ------
    InputError
        When an input does not exist or its format cannot be told.
    """
    for path in _expand(inputs):
        kind = _kind_of(path, format) or ("jsonl" if path == "-" else None)
        if kind is None:
            raise InputError(f"{path}: cannot tell the format from the name; use --format-in text, jsonl, csv or tsv")
        try:
            stream = _open_binary(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot open ({exc.strerror or exc})") from None
        try:
            if kind == "text":
                yield _text_record(path, stream, encoding)
            elif kind == "jsonl":
                yield from _jsonl_records(path, stream, text_col, id_col, encoding)
            else:
                yield from _table_records(path, stream, "," if kind == "csv" else "\t", text_col, id_col, encoding)
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()


def _text_record(path: str, stream: IO[bytes], encoding: str) -> Record:
    try:
        data = stream.read()
    except (OSError, EOFError) as exc:
        return Record(path, None, path, None, f"cannot read the file: {exc}")
    if b"\x00" in data[:8192]:
        return Record(path, None, path, None, "binary file (NUL bytes), not text")
    return Record(path, _decode(data, encoding, path), path, None)


def _lines(path: str, stream: IO[bytes], encoding: str) -> Iterator[tuple[int, str | None, str | None]]:
    # Decode line by line so that one bad line costs one record, not the file.
    lineno = 0
    try:
        for lineno, raw in enumerate(stream, start=1):
            if b"\x00" in raw:
                yield lineno, None, "binary data (NUL bytes) on this line"
                continue
            yield lineno, _decode(raw, encoding, f"{path}, line {lineno}"), None
    except (OSError, EOFError) as exc:
        yield lineno + 1, None, f"cannot read past this line: {exc}"


def _jsonl_records(path: str, stream: IO[bytes], text_col: str, id_col: str | None, encoding: str) -> Iterator[Record]:
    for lineno, line, problem in _lines(path, stream, encoding):
        fallback_id = f"{path}:{lineno}"
        if problem is not None:
            yield Record(fallback_id, None, path, lineno, problem)
            continue
        assert line is not None
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(fallback_id, None, path, lineno, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield Record(fallback_id, None, path, lineno, f"expected a JSON object, got {type(obj).__name__}")
            continue
        rid = obj.get(id_col) if id_col else None
        rid = fallback_id if rid is None else str(rid)
        text = obj.get(text_col)
        if text_col not in obj:
            yield Record(rid, None, path, lineno, f"field '{text_col}' is missing")
        elif not isinstance(text, str):
            kind = "null" if text is None else type(text).__name__
            yield Record(rid, None, path, lineno, f"field '{text_col}' is {kind}, not a string")
        else:
            yield Record(rid, text, path, lineno)


def _table_records(
    path: str, stream: IO[bytes], delimiter: str, text_col: str, id_col: str | None, encoding: str
) -> Iterator[Record]:
    numbered = _lines(path, stream, encoding)
    current = [0]

    def text_lines() -> Iterator[str]:
        for lineno, line, problem in numbered:
            current[0] = lineno
            # A line that cannot be decoded at all is passed on empty; the row shows the error.
            yield line if problem is None and line is not None else "\n"

    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(text_lines(), delimiter=delimiter, quoting=quoting)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield Record(f"{path}:1", None, path, 1, f"malformed header: {exc}")
        return
    columns = {name.strip().lstrip("\ufeff"): j for j, name in enumerate(header)}
    if text_col not in columns:
        raise InputError(f"{path}: no column '{text_col}' (the header has {list(columns)}); choose one with --text-col")
    t, k = columns[text_col], columns.get(id_col) if id_col else None
    start = 2
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(f"{path}:{start}", None, path, start, f"malformed row: {exc}")
            start = current[0] + 1
            continue
        lineno, start = start, current[0] + 1
        if not cells:
            continue
        rid = cells[k] if k is not None and k < len(cells) and cells[k].strip() else f"{path}:{lineno}"
        if len(cells) != len(header):
            yield Record(rid, None, path, lineno, f"{len(cells)} fields, but the header has {len(header)}")
        else:
            yield Record(rid, cells[t], path, lineno)


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _output_for(record: Record, result: Any | None) -> dict[str, Any]:
    head = {"id": record.id, "source": record.source, "line": record.line}
    if result is None:
        return {**head, "error": record.error}
    body = result.to_dict()
    body.pop("id", None)
    return {**head, **body}


def _score_chunk(analyzer: Any, chunk: list[Record]) -> list[dict[str, Any]]:
    good = [r for r in chunk if r.error is None]
    results = iter(analyzer.score_many([r.text for r in good])) if good else iter(())
    return [_output_for(r, next(results) if r.error is None else None) for r in chunk]


_WORKER_ANALYZER: Any = None


def _init_worker(analyzer: Any) -> None:
    global _WORKER_ANALYZER
    _WORKER_ANALYZER = analyzer
    # If the main process dies without shutting the pool down (SIGKILL, the OOM killer), a
    # worker would live on holding a model in memory: leave when the parent is gone.
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="framing-parent-watch", daemon=True).start()


def _worker_score(chunk: list[Record]) -> list[dict[str, Any]]:
    return _score_chunk(_WORKER_ANALYZER, chunk)


def score_records(
    analyzer: Any,
    records: Iterable[Record],
    *,
    chunk_size: int = 500,
    n_jobs: int = 1,
) -> Iterator[dict[str, Any]]:
    """Score records lazily, yielding one output dict per record, in input order.

    Parameters
    ----------
    analyzer : Analyzer
        The models.
    records : iterable of Record
        From :func:`iter_records`.
    chunk_size : int, default=500
        Records scored together.
    n_jobs : int, default=1
        Worker processes; ``-1`` for one per core. Each worker receives the analyzer once.
        At most two chunks per worker are in flight, so memory stays bounded.

    Yields
    ------
    dict
        ``{"id", "source", "line", "stance", "frames", ...}`` or ``{"id", "source", "line", "error"}``.
    """
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    chunks = _chunks(records, chunk_size)
    if n_jobs <= 1:
        for chunk in chunks:
            yield from _score_chunk(analyzer, chunk)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: workers are children of this process, so they can tell when it is gone (see
    # _init_worker); with forkserver their parent would be the server, which outlives us.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(n_jobs, mp_context=ctx, initializer=_init_worker, initargs=(analyzer,)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(_worker_score, chunk))
            if len(pending) >= 2 * n_jobs:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def output_columns(analyzer: Any) -> list[str]:
    """The CSV columns for ``analyzer``'s results, in order (see :meth:`Result.to_row`)."""
    cols = ["id", "source", "line", "error"]
    for topic, model in analyzer.stance_models.items():
        cols += [topic, f"{topic}_score", *(f"{topic}_p_{c}" for c in model.classes_)]
    if analyzer.frame_model is not None:
        cols += ["primary_frame", "frames", *(f"frame_p_{f}" for f in analyzer.frames)]
    return cols


def _flatten(out: dict[str, Any]) -> dict[str, Any]:
    head = {"id": out["id"], "source": out["source"], "line": out["line"], "error": out.get("error")}
    return {**head, **flat_scores(out, digits=6)}


def write_records(
    outputs: Iterable[dict[str, Any]],
    stream: IO[str],
    *,
    format: str = "jsonl",
    columns: list[str] | None = None,
    header: bool = True,
    progress: Any = None,
) -> tuple[int, int]:
    """Write output dicts as JSON Lines or CSV, flushing as they come.

    Returns
    -------
    (int, int)
        Records written, and how many of them are error records.
    """
    written = errors = 0
    writer = None
    if format == "csv":
        if columns is None:
            raise ValueError("CSV output needs the columns (see output_columns).")
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        if header:
            writer.writeheader()
    elif format != "jsonl":
        raise ValueError(f"format must be 'jsonl' or 'csv', got {format!r}.")
    last_flush = time.monotonic()
    for out in outputs:
        if writer is not None:
            writer.writerow(_flatten(out))
        else:
            stream.write(json.dumps(out, ensure_ascii=False) + "\n")
        written += 1
        errors += "error" in out and out["error"] is not None
        if progress is not None:
            progress(written)
        if time.monotonic() - last_flush > 1.0:
            stream.flush()
            last_flush = time.monotonic()
    stream.flush()
    return written, errors


def count_output_records(path: str | Path, format: str = "jsonl") -> int:
    """Count complete records in an earlier output file, and cut off a half-written last record.

    Used by ``--resume``: output is in input order, so the first N input records are done.
    The file is read in blocks (memory stays flat however large it is). A CSV record ends at a
    line end outside quotes, so a quoted field with a line break is not mistaken for two rows.
    """
    path = Path(path)
    if not path.exists():
        return 0
    count = 0
    last_end = 0
    offset = 0
    in_quotes = False
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            if format != "csv":
                newlines = block.count(b"\n")
                if newlines:
                    count += newlines
                    last_end = offset + block.rfind(b"\n") + 1
            else:
                pos = 0
                while (nl := block.find(b"\n", pos)) != -1:
                    # A doubled quote ("") inside a field flips the parity twice: no change.
                    in_quotes ^= block.count(b'"', pos, nl) % 2 == 1
                    if not in_quotes:
                        count += 1
                        last_end = offset + nl + 1
                    pos = nl + 1
                in_quotes ^= block.count(b'"', pos) % 2 == 1
            offset += len(block)
    if last_end != offset:
        # A run killed mid-write leaves a partial record: drop it, it will be written again.
        with open(path, "r+b") as f:
            f.truncate(last_end)
    if format == "csv":
        return max(count - 1, 0)  # the header
    return count


# --------------------------------------------------------------------------- distributed scoring (dask)

_DASK_HINT = "Distributed scoring needs dask: pip install 'framing[dask]' (dask[distributed], dask[dataframe], pandas)."


def _require_dask(*modules: str) -> None:
    import importlib

    for name in ("dask", "dask.bag", *modules):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ImportError(f"{_DASK_HINT} ({exc})") from exc


def _resolve_client(client: Any) -> Any:
    # The given client, else the current default one, else None (the local dask scheduler).
    if client is not None:
        return client
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:
        return None


def _ship_analyzer(analyzer: Any, client: Any) -> Any:
    """A handle on ``analyzer`` that dask tasks can take as an argument, sent once per worker.

    With a distributed client the analyzer is scattered to every worker up front (one copy per
    worker, held in its memory under one key); partitions then refer to that key. Without a client
    it becomes one ``dask.delayed`` node of the graph, shared by every partition.
    """
    if client is not None:
        return client.scatter(analyzer, broadcast=True, hash=False)
    import uuid

    import dask

    return dask.delayed(analyzer, name=f"framing-analyzer-{uuid.uuid4().hex}", traverse=False)


def _missing_text_reason(value: Any, text_col: str | None) -> str:
    # None, NaN and pandas.NA (what a DataFrame holds for a missing text) are all "null".
    null = value is None or (isinstance(value, float) and value != value) or type(value).__name__ == "NAType"
    kind = "null" if null else type(value).__name__
    if text_col is None:
        hint = " (a bag of records needs text_col)" if isinstance(value, dict) else ""
        return f"expected a text (str), got {kind}{hint}"
    return f"field '{text_col}' is {kind}, not a string"


def _score_partition(items: Iterable[Any], analyzer: Any, text_col: str | None) -> list[dict[str, Any]]:
    """Score one bag partition: one output dict per item, in order (runs on a worker)."""
    items = list(items)
    heads: list[dict[str, Any]] = []
    texts: list[str | None] = []
    reasons: list[str | None] = []
    for item in items:
        if text_col is None:
            heads.append({})
            text = item
            given = None
        elif isinstance(item, dict):
            given = item.get("error")
            heads.append({"id": item.get("id"), **{k: v for k, v in item.items() if k not in (text_col, "error")}})
            text = item.get(text_col)
            if text_col not in item:
                given = given or f"field '{text_col}' is missing"
        else:
            heads.append({"id": None})
            text, given = None, f"expected a record (dict), got {type(item).__name__}"
        ok = isinstance(text, str) and given is None
        texts.append(text if ok else None)
        reasons.append(None if ok else (given or _missing_text_reason(text, text_col)))
    good = [t for t in texts if t is not None]
    results = iter(analyzer.score_many(good)) if good else iter(())
    outputs: list[dict[str, Any]] = []
    for head, text, reason in zip(heads, texts, reasons):
        if text is None:
            outputs.append({"id": head.get("id"), **head, "error": reason})
        else:
            body = next(results).to_dict()
            body.pop("id", None)
            outputs.append({**head, **body})
    return outputs


def _score_bag(bag: Any, shipped: Any, text_col: str | None) -> Any:
    return bag.map_partitions(_score_partition, shipped, text_col)


def score_dask(texts: Any, analyzer: Any = None, client: Any = None, text_col: str | None = None) -> Any:
    """Score a dask bag of texts or of records on a dask cluster (or the local dask scheduler).

    The analyzer is sent to the workers once per worker, not once per partition: with a
    distributed client it is scattered to every worker (``client.scatter(..., broadcast=True)``)
    and each partition's task refers to it; without one it is a single node of the task graph.

    Parameters
    ----------
    texts : dask.bag.Bag
        A bag of texts (``str``), or of records (``dict``) when ``text_col`` is given.
    analyzer : Analyzer, optional
        The models; by default the bundled ones (:func:`framing.load`).
    client : distributed.Client, optional
        The cluster's client; by default the current default client, if any, else the local
        scheduler (threads) of ``compute()``.
    text_col : str, optional
        The text field of each record. Other fields (``id``, ``source``, ...) are kept in the
        output; a non-null ``error`` field is taken as the reason a record cannot be scored.

    Returns
    -------
    dask.bag.Bag
        One dict per input, in input order: :meth:`Result.to_dict` (plus the record's ``id``
        and other fields), or ``{"id", ..., "error"}`` for an item whose text is missing or not
        a string. Call ``.compute()`` to run it.

    Raises
    ------
    ImportError
        If dask is not installed.

    Examples
    --------
    >>> import dask.bag as db  # doctest: +SKIP
    >>> bag = db.from_sequence([{"id": "a", "text": "Stop the sale."}], partition_size=500)  # doctest: +SKIP
    >>> score_dask(bag, text_col="text").compute()[0]["stance"]["arms_sales"]["label"]  # doctest: +SKIP
    'against'
    """
    _require_dask()
    if analyzer is None:
        from framing.persist import load

        analyzer = load()
    client = _resolve_client(client)
    return _score_bag(texts, _ship_analyzer(analyzer, client), text_col)


def _record_dict(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"id": record.id, "source": record.source, "line": record.line, "text": record.text}
    if record.error is not None:
        out["error"] = record.error
    return out


def score_records_dask(
    analyzer: Any,
    records: Iterable[Record],
    client: Any,
    *,
    chunk_size: int = 500,
    window: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Score records on a dask cluster lazily, yielding the same output dicts as :func:`score_records`.

    Records are read ``window`` at a time; each window becomes a bag of ``chunk_size``-record
    partitions, scored by :func:`score_dask`'s partition function. Two windows are in flight at
    once, so the cluster stays busy while memory on this side stays bounded.

    Parameters
    ----------
    analyzer : Analyzer
        The models; scattered once to every worker.
    records : iterable of Record
        From :func:`iter_records`.
    client : distributed.Client
        The cluster's client.
    chunk_size : int, default=500
        Records per partition (per task).
    window : int, optional
        Records per bag; default ``4 * chunk_size`` per worker thread.

    Yields
    ------
    dict
        ``{"id", "source", "line", "stance", "frames", ...}`` or ``{"id", "source", "line", "error"}``.
    """
    _require_dask()
    import dask.bag as db

    if window is None:
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values())
        window = 4 * chunk_size * max(threads, 1)
    shipped = _ship_analyzer(analyzer, client)
    pending: deque = deque()
    for block in _chunks(records, window):
        bag = db.from_sequence([_record_dict(r) for r in block], partition_size=chunk_size)
        pending.append(client.compute(_score_bag(bag, shipped, "text")))
        if len(pending) >= 2:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


def _score_column_dtypes(analyzer: Any) -> dict[str, Any]:
    # The flattened score columns of output_columns (after id, source, line, error), plus error.
    import pandas as pd

    text = pd.Series(["x"]).dtype  # the default string dtype of this pandas (object or str)
    dtypes: dict[str, Any] = {}
    for topic, model in analyzer.stance_models.items():
        dtypes[topic] = text
        dtypes[f"{topic}_score"] = "float64"
        dtypes.update({f"{topic}_p_{c}": "float64" for c in model.classes_})
    if analyzer.frame_model is not None:
        dtypes["primary_frame"] = text
        dtypes["frames"] = text
        dtypes.update({f"frame_p_{f}": "float64" for f in analyzer.frames})
    dtypes["error"] = text
    return dtypes


def _score_row(result: Any) -> dict[str, Any]:
    return flat_scores(result.to_dict())


def _score_frame_partition(part: Any, analyzer: Any, text_col: str, dtypes: dict[str, Any]) -> Any:
    """Score one DataFrame partition: the partition with the score columns added (runs on a worker)."""
    import pandas as pd

    texts = part[text_col].tolist()
    good = [i for i, t in enumerate(texts) if isinstance(t, str)]
    rows: list[dict[str, Any]] = [{"error": _missing_text_reason(t, text_col)} for t in texts]
    if good:
        for i, result in zip(good, analyzer.score_many([texts[i] for i in good])):
            rows[i] = _score_row(result)
    scores = pd.DataFrame(rows, index=part.index, columns=list(dtypes)).astype(dtypes)
    return pd.concat([part, scores], axis=1)


def score_dask_dataframe(df: Any, text_col: str, analyzer: Any = None, client: Any = None) -> Any:
    """Add score columns to a dask DataFrame, one row per text.

    The columns are those of :func:`output_columns` after ``id, source, line, error``: per topic
    ``<topic>`` (label), ``<topic>_score`` and ``<topic>_p_<label>``; then ``primary_frame``,
    ``frames`` (";"-joined) and ``frame_p_<frame>``; and last ``error``, which says why a row
    whose text is missing or not a string has no scores. Probabilities are not rounded (unlike
    the CSV output). The analyzer is sent once per worker, as in :func:`score_dask`.

    Parameters
    ----------
    df : dask.dataframe.DataFrame
        The texts and any other columns, which are kept.
    text_col : str
        The text column.
    analyzer : Analyzer, optional
        The models; by default the bundled ones (:func:`framing.load`).
    client : distributed.Client, optional
        The cluster's client; by default the current default client, if any.

    Returns
    -------
    dask.dataframe.DataFrame
        ``df`` with the score columns appended (lazy; call ``.compute()``).

    Raises
    ------
    ImportError
        If dask, dask.dataframe or pandas is not installed.
    KeyError
        If ``text_col`` is not a column of ``df``.
    ValueError
        If ``df`` already has a column of the same name as a score column.
    """
    _require_dask("dask.dataframe", "pandas")
    import pandas as pd

    if text_col not in df.columns:
        raise KeyError(f"no column {text_col!r}; the columns are {list(df.columns)}")
    if analyzer is None:
        from framing.persist import load

        analyzer = load()
    dtypes = _score_column_dtypes(analyzer)
    clash = [c for c in dtypes if c in df.columns]
    if clash:
        raise ValueError(f"df already has columns named like score columns: {clash}; rename them first")
    meta = pd.concat([df._meta, pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})], axis=1)
    shipped = _ship_analyzer(analyzer, _resolve_client(client))
    return df.map_partitions(_score_frame_partition, shipped, text_col, dtypes, meta=meta)
