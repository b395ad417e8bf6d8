"""Read labelled corpora (JSON Lines, CSV, TSV) and validate them, naming file, line and field.

The JSON Lines format, one passage per line::

    {"id": "gulf-001", "text": "...", "stance": {"arms_sales": "against", "regional_stability": "neutral"},
     "frames": ["security_and_defense", "political"], "primary_frame": "security_and_defense"}

``stance`` may hold any topics with any labels; a record may leave a topic out (it is then not
used to train that topic). ``frames`` and ``primary_frame`` are optional. Other fields (such as
``deal``) are kept in :attr:`Corpus.extra`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["Corpus", "CorpusError", "read_corpus"]

_KNOWN_FIELDS = {"id", "text", "stance", "frames", "primary_frame"}


class CorpusError(ValueError):
    """A problem in a corpus file, located by file, line and field.

    Attributes
    ----------
    path : str
        The file.
    line : int or None
        The 1-based line (for CSV, the line the record starts on).
    field : str or None
        The field or column at fault.
    """

    def __init__(self, path: str | Path, line: int | None, field: str | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = message
        where = self.path + (f", line {line}" if line is not None else "")
        what = f", field '{field}'" if field else ""
        super().__init__(f"{where}{what}: {message}")


@dataclass
class Corpus:
    """Labelled texts, as read from a corpus file.

    Attributes
    ----------
    texts : list of str
    ids : list of str
    stance : dict of str to list of (str or None)
        Per topic, one label per text (``None`` where the text has no label for that topic).
    frames : list of list of str, or None
        The frames of each text, primary first; ``None`` when the corpus has no frame labels.
    primary : list of (str or None), or None
        The primary frame of each text.
    extra : list of dict
        Any other fields of each record (e.g. ``deal``).
    source : str
        Where the corpus was read from.
    """

    texts: list[str]
    ids: list[str]
    stance: dict[str, list[str | None]] = field(default_factory=dict)
    frames: list[list[str]] | None = None
    primary: list[str | None] | None = None
    extra: list[dict[str, Any]] = field(default_factory=list)
    source: str = "<memory>"

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def topics(self) -> dict[str, list[str]]:
        """The topics and, for each, its sorted labels."""
        return {t: sorted({x for x in labels if x is not None}) for t, labels in self.stance.items()}

    def label_counts(self) -> dict[str, dict[str, int]]:
        """Per topic (and ``"frames"``, ``"primary_frame"``), how many texts carry each label."""
        out = {t: dict(sorted(Counter(x for x in v if x is not None).items())) for t, v in self.stance.items()}
        if self.frames is not None:
            out["frames"] = dict(sorted(Counter(f for fs in self.frames for f in fs).items()))
        if self.primary is not None:
            out["primary_frame"] = dict(sorted(Counter(p for p in self.primary if p is not None).items()))
        return out

    def subset(self, indices: Sequence[int]) -> Corpus:
        """A new corpus with the records at ``indices``, in that order."""
        idx = list(indices)
        return Corpus(
            texts=[self.texts[i] for i in idx],
            ids=[self.ids[i] for i in idx],
            stance={t: [v[i] for i in idx] for t, v in self.stance.items()},
            frames=None if self.frames is None else [self.frames[i] for i in idx],
            primary=None if self.primary is None else [self.primary[i] for i in idx],
            extra=[self.extra[i] for i in idx] if self.extra else [],
            source=self.source,
        )

    def digest(self) -> str:
        """SHA-256 of the texts and labels (not of the file's bytes), so a model can name its data.

        Two files with the same records in the same order have the same digest, whatever their
        format or white space.
        """
        h = hashlib.sha256()
        for i in range(len(self)):
            record = {
                "id": self.ids[i],
                "text": self.texts[i],
                "stance": {t: self.stance[t][i] for t in sorted(self.stance)},
                "frames": None if self.frames is None else self.frames[i],
                "primary": None if self.primary is None else self.primary[i],
            }
            h.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8"))
            h.update(b"\n")
        return "sha256:" + h.hexdigest()


def _sniff_format(path: Path, fmt: str | None) -> str:
    if fmt:
        fmt = fmt.lower()
        if fmt not in {"jsonl", "csv", "tsv"}:
            raise CorpusError(path, None, None, f"unknown format {fmt!r}; expected 'jsonl', 'csv' or 'tsv'")
        return fmt
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if last == ".tsv" or last == ".tab":
        return "tsv"
    if last == ".csv":
        return "csv"
    raise CorpusError(
        path, None, None, f"cannot tell the format from the name; pass format='jsonl', 'csv' or 'tsv' (suffix {last!r})"
    )


def unreadable(path: Path, exc: OSError) -> CorpusError:
    """The CorpusError for a corpus file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return CorpusError(path, None, None, "no such file")
    if isinstance(exc, IsADirectoryError):
        return CorpusError(path, None, None, "is a directory, not a corpus file")
    return CorpusError(path, None, None, f"cannot read: {exc.strerror or exc}")


def _read_text(path: Path, encoding: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise unreadable(path, exc) from None
    if path.suffix.lower() == ".gz":
        import gzip

        try:
            data = gzip.decompress(data)
        except OSError as exc:
            raise CorpusError(path, None, None, f"not a valid gzip file: {exc}") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(
            path,
            line,
            None,
            f"bytes not valid {encoding} at byte {exc.start}; pass the file's encoding (e.g. encoding='cp1252')",
        ) from None
    except LookupError:
        raise CorpusError(path, None, None, f"unknown encoding {encoding!r}") from None
    # Spreadsheet programs start UTF-8 files with a byte-order mark; it is not part of the data.
    return text.removeprefix("\ufeff")


def read_corpus(
    path: str | Path,
    *,
    format: str | None = None,
    text_col: str = "text",
    id_col: str | None = "id",
    stance_cols: Mapping[str, str] | Sequence[str] | None = None,
    frames_col: str | None = None,
    primary_col: str | None = None,
    frames_sep: str = ";",
    encoding: str = "utf-8",
    delimiter: str | None = None,
) -> Corpus:
    """Read and validate a labelled corpus.

    Parameters
    ----------
    path : str or Path
        A ``.jsonl`` file, or a ``.csv`` / ``.tsv`` file (optionally gzip-compressed, ``.gz``).
    format : {"jsonl", "csv", "tsv"}, optional
        The format, when the file name does not tell.
    text_col : str, default="text"
        The text field or column.
    id_col : str or None, default="id"
        The id field or column; records without one get ``"<file name>:<line>"``.
    stance_cols : mapping or sequence of str, optional
        CSV/TSV only: the stance columns, as ``{topic: column}`` or a list of column names
        (each column then is a topic of the same name).
    frames_col, primary_col : str, optional
        CSV/TSV only: the frames column (labels joined by ``frames_sep``) and the primary-frame
        column.
    frames_sep : str, default=";"
        Separator of frame labels in ``frames_col``.
    encoding : str, default="utf-8"
        The file's text encoding.
    delimiter : str, optional
        CSV/TSV only: override the delimiter (default ``,`` for CSV and tab for TSV).

    Returns
    -------
    Corpus

    Raises
    ------
    CorpusError
        Naming the file, line and field of the first problem: unreadable file, bad JSON, a
        missing or non-string text, a label that is not a string, a primary frame not among
        the frames, a duplicate id, or an empty corpus.
    """
    path = Path(path)
    fmt = _sniff_format(path, format)
    text = _read_text(path, encoding)
    if fmt == "jsonl":
        rows = _jsonl_rows(path, text, text_col, id_col)
    else:
        rows = _csv_rows(
            path,
            text,
            "\t" if fmt == "tsv" and delimiter is None else (delimiter or ","),
            text_col,
            id_col,
            stance_cols,
            frames_col,
            primary_col,
            frames_sep,
        )
    return _assemble(path, rows)


@dataclass
class _Row:
    line: int
    id: str
    text: str
    stance: dict[str, str]
    frames: list[str] | None
    primary: str | None
    extra: dict[str, Any]


def _jsonl_rows(path: Path, text: str, text_col: str, id_col: str | None) -> Iterator[_Row]:
    # Split on "\n" only: str.splitlines would also break records at U+2028 and other
    # separators that JSON strings may hold raw.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(path, lineno, None, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise CorpusError(path, lineno, None, f"expected a JSON object, got {type(obj).__name__}")
        yield _row_from_mapping(path, lineno, obj, text_col, id_col)


def _row_from_mapping(path: Path, lineno: int, obj: dict, text_col: str, id_col: str | None) -> _Row:
    if text_col not in obj:
        raise CorpusError(path, lineno, text_col, "missing")
    text = obj[text_col]
    if not isinstance(text, str):
        raise CorpusError(path, lineno, text_col, f"expected a string, got {_kind(text)}")
    rid = obj.get(id_col) if id_col else None
    if rid is None:
        rid = f"{path.name}:{lineno}"
    elif isinstance(rid, (str, int)) and not isinstance(rid, bool):
        rid = str(rid)
    else:
        raise CorpusError(path, lineno, id_col, f"expected a string or integer id, got {_kind(rid)}")
    stance = obj.get("stance", {})
    if stance is None:
        stance = {}
    if not isinstance(stance, dict):
        raise CorpusError(path, lineno, "stance", f"expected an object of topic: label, got {_kind(stance)}")
    for topic, label in stance.items():
        if label is not None and not isinstance(label, str):
            raise CorpusError(path, lineno, f"stance.{topic}", f"expected a string label, got {_kind(label)}")
    frames = obj.get("frames")
    if frames is not None and not (isinstance(frames, list) and all(isinstance(f, str) for f in frames)):
        raise CorpusError(path, lineno, "frames", f"expected a list of strings, got {_kind(frames)}")
    primary = obj.get("primary_frame")
    if primary is not None:
        if not isinstance(primary, str):
            raise CorpusError(path, lineno, "primary_frame", f"expected a string, got {_kind(primary)}")
        if frames is not None and primary not in frames:
            raise CorpusError(path, lineno, "primary_frame", f"{primary!r} is not among the record's frames {frames}")
    extra = {k: v for k, v in obj.items() if k not in _KNOWN_FIELDS and k not in {text_col, id_col}}
    return _Row(
        lineno,
        rid,
        text,
        {t: v for t, v in stance.items() if v is not None},
        frames,
        primary,
        extra,
    )


def _csv_rows(
    path: Path,
    text: str,
    delimiter: str,
    text_col: str,
    id_col: str | None,
    stance_cols: Mapping[str, str] | Sequence[str] | None,
    frames_col: str | None,
    primary_col: str | None,
    frames_sep: str,
) -> Iterator[_Row]:
    # Tab-separated files in the wild are rarely quoted and often hold stray quote characters.
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    try:
        header = next(reader)
    except StopIteration:
        raise CorpusError(path, 1, None, "empty file: no header line") from None
    columns = {name.strip().lstrip("\ufeff"): j for j, name in enumerate(header)}
    if isinstance(stance_cols, Mapping):
        topic_cols = dict(stance_cols)
    else:
        topic_cols = {c: c for c in (stance_cols or [])}
    wanted = [text_col, *topic_cols.values(), *(c for c in (frames_col, primary_col) if c)]
    for name in wanted:
        if name not in columns:
            raise CorpusError(path, 1, name, f"no such column; the header has {list(columns)}")
    used = set(wanted) | ({id_col} if id_col else set())
    start = 2
    for cells in reader:
        lineno, start = start, reader.line_num + 1
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise CorpusError(path, lineno, None, f"{len(cells)} fields, but the header has {len(header)}")
        row = {name: cells[j] for name, j in columns.items()}
        text_value = row[text_col]
        rid = row[id_col] if id_col and id_col in row and row[id_col].strip() else f"{path.name}:{lineno}"
        stance = {topic: row[col].strip() for topic, col in topic_cols.items() if row[col].strip()}
        frames = None
        if frames_col:
            frames = [f.strip() for f in row[frames_col].split(frames_sep) if f.strip()]
        primary = (row[primary_col].strip() or None) if primary_col else None
        if primary is not None and frames is not None and primary not in frames:
            frames = [primary, *frames]
        extra = {name: value for name, value in row.items() if name not in used}
        yield _Row(lineno, rid, text_value, stance, frames, primary, extra)


def _assemble(path: Path, rows: Iterator[_Row]) -> Corpus:
    texts: list[str] = []
    ids: list[str] = []
    stance_rows: list[dict[str, str]] = []
    frames: list[list[str] | None] = []
    primary: list[str | None] = []
    extra: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row in rows:
        if row.id in seen:
            raise CorpusError(path, row.line, "id", f"duplicate id {row.id!r} (first on line {seen[row.id]})")
        seen[row.id] = row.line
        texts.append(row.text)
        ids.append(row.id)
        stance_rows.append(row.stance)
        frames.append(row.frames)
        primary.append(row.primary)
        extra.append(row.extra)
    if not texts:
        raise CorpusError(path, None, None, "no records: the corpus is empty")
    topics = sorted({t for s in stance_rows for t in s})
    has_frames = any(f is not None for f in frames)
    ordered_frames: list[list[str]] | None = None
    if has_frames:
        # Primary first, so that a frame list alone still says which frame dominates.
        ordered_frames = []
        for fs, p in zip(frames, primary):
            fs = list(fs or [])
            if p is not None:
                fs = [p, *[f for f in fs if f != p]]
            ordered_frames.append(fs)
    return Corpus(
        texts=texts,
        ids=ids,
        stance={t: [s.get(t) for s in stance_rows] for t in topics},
        frames=ordered_frames,
        primary=primary if any(p is not None for p in primary) else None,
        extra=extra,
        source=str(path),
    )


def _kind(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {value!r:.40}"
