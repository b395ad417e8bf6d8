"""The ``framing`` command: score, train, evaluate, explain and inspect models.

Exit status: 0 when everything was scored, 1 when some input records became error records,
2 on a usage error or unreadable input (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["main"]


class UsageError(Exception):
    """A problem the user can fix: bad arguments or unreadable input. Exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: scripts grep stderr.
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _build_parser() -> argparse.ArgumentParser:
    from framing._version import __version__

    parser = _Parser(
        prog="framing", description="Stance and framing scores for op-eds, editorials and news commentary."
    )
    parser.add_argument("--version", action="version", version=f"framing {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    score = sub.add_parser("score", help="score texts; JSON Lines (or CSV) out")
    score.add_argument(
        "inputs",
        nargs="+",
        metavar="FILE",
        help="text, JSONL, CSV or TSV files (optionally .gz), folders, globs, or - for stdin",
    )
    score.add_argument("-m", "--model", help="model file (default: the bundled models)")
    score.add_argument("-o", "--output", help="output file (default: stdout)")
    score.add_argument(
        "--format", choices=["jsonl", "csv"], default=None, help="output format (default: from -o's suffix, else jsonl)"
    )
    score.add_argument(
        "--format-in",
        choices=["text", "jsonl", "csv", "tsv"],
        help="input format, when names do not tell (stdin: jsonl)",
    )
    score.add_argument("--text-col", default="text", help="text field/column of JSONL/CSV input (default: text)")
    score.add_argument("--id-col", default="id", help="id field/column of JSONL/CSV input (default: id)")
    score.add_argument(
        "--encoding",
        default="utf-8",
        help="input encoding (default: utf-8; invalid bytes fall back to cp1252 with a warning)",
    )
    score.add_argument("--chunk-size", type=int, default=500, help="records scored together (default: 500)")
    score.add_argument("-j", "--n-jobs", type=int, default=1, help="worker processes (default: 1; -1: one per core)")
    score.add_argument(
        "--resume", action="store_true", help="with -o: skip records already in the output file and append the rest"
    )
    score.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="score on a dask cluster, e.g. tcp://host:8786 (needs framing[dask]; the model is sent once per worker)",
    )
    score.add_argument(
        "--progress",
        choices=["auto", "on", "off"],
        default="auto",
        help="progress on stderr (default: when stderr is a terminal)",
    )

    train = sub.add_parser("train", help="train a model on a labelled corpus")
    train.add_argument("corpus", help="JSONL corpus, or CSV/TSV with --text-col and --stance-col")
    train.add_argument("-o", "--output", required=True, help="model file to write (a manifest is written beside it)")
    train.add_argument("--text-col", default="text")
    train.add_argument("--id-col", default="id")
    train.add_argument(
        "--stance-col",
        action="append",
        default=[],
        metavar="TOPIC[=COLUMN]",
        help="CSV/TSV: a stance column (repeatable)",
    )
    train.add_argument("--frames-col", help="CSV/TSV: the frames column (labels separated by ';')")
    train.add_argument("--primary-col", help="CSV/TSV: the primary-frame column")
    train.add_argument("--encoding", default="utf-8")
    train.add_argument(
        "--poles", action="append", default=[], metavar="TOPIC=POS,NEG", help="labels of a topic's signed score"
    )
    train.add_argument("--no-frames", action="store_true", help="train stance models only")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--streaming",
        action="store_true",
        help="JSONL only: train out of core, a chunk at a time (hashed features, SGD; see framing.streaming)",
    )
    train.add_argument(
        "--chunk-size", type=int, default=1000, help="with --streaming: records learnt from together (default: 1000)"
    )
    train.add_argument("--epochs", type=int, default=2, help="with --streaming: passes over the corpus (default: 2)")

    evaluate = sub.add_parser("evaluate", help="evaluate a model on a labelled corpus")
    evaluate.add_argument("model", help="model file, or 'bundled'")
    evaluate.add_argument("corpus")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        metavar="N",
        help="resamples for the 95%% intervals of accuracy, macro-F1 and frame micro-F1 (0: none; default 1000)",
    )
    evaluate.add_argument("--text-col", default="text")
    evaluate.add_argument("--id-col", default="id")
    evaluate.add_argument("--stance-col", action="append", default=[], metavar="TOPIC[=COLUMN]")
    evaluate.add_argument("--frames-col")
    evaluate.add_argument("--primary-col")
    evaluate.add_argument("--encoding", default="utf-8")

    explain = sub.add_parser("explain", help="explain the scores of one text: terms and sentences")
    explain.add_argument("input", metavar="FILE", help="a text file, or - for stdin")
    explain.add_argument("-m", "--model", help="model file (default: the bundled models)")
    explain.add_argument("--html", metavar="OUT", help="also write a standalone HTML page with highlighted terms")
    explain.add_argument("--json", action="store_true", help="print the explanation as JSON")
    explain.add_argument("--terms", type=int, default=8, help="terms shown per direction (default: 8)")
    explain.add_argument("--encoding", default="utf-8")

    info = sub.add_parser("info", help="describe a model file (default: the bundled models)")
    info.add_argument("model", nargs="?", help="model file (default: bundled)")
    info.add_argument("--json", action="store_true", help="print the manifest as JSON")
    return parser


def _load(model: str | None) -> Any:
    from framing.persist import load

    return load(None if model in (None, "bundled") else model)


def _read_labelled(args: argparse.Namespace) -> Any:
    from framing.corpus import read_corpus

    stance_cols: dict[str, str] = {}
    for spec in args.stance_col:
        topic, _, column = spec.partition("=")
        stance_cols[topic] = column or topic
    return read_corpus(
        args.corpus,
        text_col=args.text_col,
        id_col=args.id_col,
        stance_cols=stance_cols or None,
        frames_col=args.frames_col,
        primary_col=args.primary_col,
        encoding=args.encoding,
    )


def _progress(mode: str) -> Any:
    if mode == "off" or (mode == "auto" and not sys.stderr.isatty()):
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:
        start = time.monotonic()
        last = [0.0]

        def tick(done: int) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.5:
                last[0] = now
                rate = done / max(now - start, 1e-9)
                print(
                    f"\r{done:,} records  {rate:,.0f}/s  {now - start:,.0f}s elapsed",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )

        return tick, lambda: print(file=sys.stderr)
    bar = tqdm(unit=" records", file=sys.stderr, smoothing=0.1)
    seen = [0]

    def update(done: int) -> None:
        bar.update(done - seen[0])
        seen[0] = done

    return update, bar.close


def _cmd_score(args: argparse.Namespace) -> int:
    from itertools import islice

    from framing.batch import (
        count_output_records,
        expand_inputs,
        iter_records,
        output_columns,
        score_records,
        write_records,
    )

    fmt = args.format or ("csv" if args.output and args.output.lower().endswith(".csv") else "jsonl")
    if args.resume and not args.output:
        raise UsageError("--resume needs -o/--output: the file to continue")
    if args.chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, got {args.chunk_size}")
    if args.dask and args.n_jobs != 1:
        raise UsageError("--dask and --n-jobs do not go together: the cluster's workers do the work")
    # Resolve every input before the output file is opened: a typo in a file name must not
    # truncate an earlier output.
    inputs = expand_inputs(args.inputs)
    analyzer = _load(args.model)
    records = iter_records(
        inputs, text_col=args.text_col, id_col=args.id_col, encoding=args.encoding, format=args.format_in
    )
    done = count_output_records(args.output, fmt) if args.resume else 0
    if done:
        records = islice(records, done, None)
    client = None
    if args.dask:
        try:
            from distributed import Client

            from framing.batch import score_records_dask
        except ImportError:
            raise UsageError("--dask needs dask: pip install 'framing[dask]'") from None
        client = Client(args.dask)
        outputs = score_records_dask(analyzer, records, client, chunk_size=args.chunk_size)
    else:
        outputs = score_records(analyzer, records, chunk_size=args.chunk_size, n_jobs=args.n_jobs)
    tick, close = _progress(args.progress)
    if args.output:
        out_path = Path(args.output)
        try:
            stream = open(out_path, "a" if done else "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise UsageError(f"{out_path}: cannot write ({exc.strerror or exc})") from None
    else:
        stream = sys.stdout  # type: ignore[assignment]
    try:
        written, errors = write_records(
            outputs, stream, format=fmt, columns=output_columns(analyzer), header=not done, progress=tick
        )
    finally:
        close()
        if stream is not sys.stdout:
            stream.close()
        if client is not None:
            client.close()
    if errors:
        print(f"framing: {errors} of {written} records could not be scored (see their 'error' field)", file=sys.stderr)
        return 1
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from framing.analyzer import train
    from framing.persist import save

    poles = {}
    for spec in args.poles:
        topic, _, pair = spec.partition("=")
        parts = pair.split(",")
        if not topic or len(parts) != 2:
            raise UsageError(f"--poles expects TOPIC=POSITIVE,NEGATIVE, got {spec!r}")
        poles[topic] = (parts[0], parts[1])
    if args.streaming:
        return _train_streaming(args, poles)
    corpus = _read_labelled(args)
    analyzer = train(corpus, poles=poles, frames=not args.no_frames, random_state=args.seed)
    manifest = save(analyzer, args.output)
    topics = ", ".join(f"{t} ({', '.join(d.labels)})" for t, d in analyzer.topics.items()) or "none"
    print(f"trained on {len(corpus)} texts; topics: {topics}; frames: {len(analyzer.frames)}", file=sys.stderr)
    print(f"wrote {args.output} and {manifest}", file=sys.stderr)
    return 0


def _train_streaming(args: argparse.Namespace, poles: dict[str, tuple[str, str]]) -> int:
    from framing.persist import save
    from framing.streaming import train_streaming

    if args.stance_col or args.frames_col or args.primary_col:
        raise UsageError(
            "--streaming reads JSONL corpora only; --stance-col, --frames-col and --primary-col are for CSV"
        )
    if args.chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, got {args.chunk_size}")
    if args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    analyzer = train_streaming(
        args.corpus,
        chunk_size=args.chunk_size,
        epochs=args.epochs,
        random_state=args.seed,
        text_col=args.text_col,
        id_col=args.id_col,
        frames=not args.no_frames,
        poles=poles,
        encoding=args.encoding,
    )
    manifest = save(analyzer, args.output)
    topics = ", ".join(f"{t} ({', '.join(d.labels)})" for t, d in analyzer.topics.items()) or "none"
    n = analyzer.info["corpus"]["n_documents"]
    print(
        f"trained (streaming, {args.epochs} epochs of {args.chunk_size}-record chunks) on {n} texts; "
        f"topics: {topics}; frames: {len(analyzer.frames)}",
        file=sys.stderr,
    )
    print(f"wrote {args.output} and {manifest}", file=sys.stderr)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from framing.evaluation import evaluate, format_report

    if args.bootstrap < 0:
        raise UsageError(f"--bootstrap must be 0 or more, got {args.bootstrap}")
    analyzer = _load(args.model)
    corpus = _read_labelled(args)
    report = evaluate(analyzer, corpus, n_bootstrap=args.bootstrap)
    if not report["topics"] and report["frames"] is None:
        raise UsageError(f"{args.corpus}: no labels the model knows (model topics: {list(analyzer.stance_models)})")
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from framing.batch import iter_records

    records = list(iter_records([args.input], encoding=args.encoding, format="text"))
    if records[0].error:
        raise UsageError(f"{args.input}: {records[0].error}")
    analyzer = _load(args.model)
    explanation = analyzer.explain(records[0].text or "")
    if args.html:
        try:
            Path(args.html).write_text(explanation.to_html(), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.html}: cannot write ({exc.strerror or exc})") from None
    if args.json:
        print(json.dumps(explanation.to_dict(), indent=2))
    else:
        print(explanation.format_text(n_terms=args.terms))
        if args.html:
            print(f"wrote {args.html}", file=sys.stderr)
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from framing.persist import bundled_model_path, read_manifest

    path = Path(args.model) if args.model and args.model != "bundled" else bundled_model_path()
    manifest = read_manifest(path)
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    corpus = manifest.get("corpus", {})
    lines = [
        f"model      {path}",
        f"file       {manifest['file']['bytes']:,} bytes, {manifest['file']['sha256']}",
        f"written by framing {manifest.get('framing_version')}, scikit-learn {manifest.get('sklearn_version')}, numpy {manifest.get('numpy_version')}",
        f"corpus     {corpus.get('n_documents', '?')} documents from {corpus.get('source', '?')}, {corpus.get('digest', '?')}",
        f"features   {manifest.get('n_features')}",
    ]
    for name, topic in manifest.get("topics", {}).items():
        lines.append(
            f"topic      {name}: {', '.join(topic['labels'])} (score = P({topic['positive']}) - P({topic['negative']}))"
        )
    lines.append(f"frames     {len(manifest.get('frames', []))}: {', '.join(manifest.get('frames', []))}")
    metrics = manifest.get("metrics") or {}
    for key, value in metrics.items():
        group = value if isinstance(value, dict) else {key: value}
        prefix = f"{key}: " if isinstance(value, dict) else ""
        for name, number in group.items():
            if isinstance(number, (int, float)) and not isinstance(number, bool):
                lines.append(f"metric     {prefix}{name} = {number:.3f}")
        if isinstance(value, str):
            lines.append(f"note       {key}: {value}")
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    from framing.batch import InputError
    from framing.corpus import CorpusError
    from framing.persist import ModelFileError

    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError("no command given: use score, train, evaluate, explain or info (see 'framing --help')")
        handler = {
            "score": _cmd_score,
            "train": _cmd_train,
            "evaluate": _cmd_evaluate,
            "explain": _cmd_explain,
            "info": _cmd_info,
        }[args.command]
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            return handler(args)
    except BrokenPipeError:
        # The reader (e.g. `head`) stopped early: not an error. Silence the final flush.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except (UsageError, InputError, CorpusError, ModelFileError, ValueError, TypeError, OSError) as exc:
        print(f"framing: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("framing: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and getattr(exc, "filename", None):
        text = f"{exc.filename}: {exc.strerror or text}"
    return " ".join(text.split())


def _show_warning(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    print(f"framing: warning: {message}", file=sys.stderr)
