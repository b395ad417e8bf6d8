"""Speed and footprint of scoring: framing's Analyzer against a bare scikit-learn pipeline.

(a) Throughput of ``Analyzer.score_many`` and of a bare ``TfidfVectorizer(ngram_range=(1, 2),
    sublinear_tf=True, min_df=2) + LogisticRegression`` pipeline, both trained on
    ``data/corpus.jsonl``, on the same synthetic op-ed-length documents (400-800 words, built
    from the corpus's paragraphs), timed interleaved (framing, bare, framing, bare, ...) on one
    core. The target is a median framing/bare throughput ratio of at least 0.8.
(b) Tokenisation alone: :class:`framing.text.Tokenizer` against scikit-learn's default analyzer.
(c) Training time, model file size, load time (``framing.load``), peak RSS while scoring (in a
    fresh subprocess, from ``ru_maxrss``), and throughput with ``n_jobs=1`` and ``n_jobs=2``.

When the ratio misses the target, a cProfile of scoring and a stage breakdown say where the
time goes.

    python benchmarks/speed.py           # 5,000 documents, 5 repeats: about two minutes
    python benchmarks/speed.py --smoke   # 200 documents, 2 repeats: seconds (CI)
"""

from __future__ import annotations

import os

# One BLAS/OpenMP thread: the comparison is of one core's work. Set before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

from _common import REPO, proc_status_mb, table, write_results  # noqa: E402

CORPUS = REPO / "data" / "corpus.jsonl"
BUNDLED = REPO / "models" / "framing-bundled.joblib"
TARGET_RATIO = 0.8


def read_texts() -> list[dict]:
    """The project's corpus records."""
    with open(CORPUS, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def make_documents(n: int, seed: int = 0) -> list[str]:
    """``n`` op-ed-length documents of 400-800 words, built by sampling the corpus's paragraphs."""
    paragraphs = [p for r in read_texts() for p in r["text"].split("\n\n") if p.strip()]
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        target, words, parts = rng.randint(400, 800), 0, []
        while words < target:
            p = rng.choice(paragraphs)
            parts.append(p)
            words += len(p.split())
        docs.append("\n\n".join(parts))
    return docs


def train_bare():
    """The bare scikit-learn pipeline, fitted on the corpus's ``arms_sales`` stance labels."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    records = [r for r in read_texts() if (r.get("stance") or {}).get("arms_sales")]
    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        LogisticRegression(max_iter=2000),
    )
    return pipe.fit([r["text"] for r in records], [r["stance"]["arms_sales"] for r in records])


def child(kind: str, model: str, n_docs: int) -> None:
    """Subprocess entry: load one model, score the documents, print RSS figures as JSON."""
    warnings.filterwarnings("ignore")
    docs = make_documents(n_docs)
    if kind == "framing":
        import framing

        analyzer = framing.load(model)
        before = proc_status_mb()
        analyzer.score_many(docs)
    else:
        import joblib

        pipe = joblib.load(model)
        before = proc_status_mb()
        pipe.predict_proba(docs)
    # ru_maxrss survives exec on Linux, so in a child started from a big parent it can report the
    # parent's peak; VmHWM belongs to this process's address space only. Both are recorded.
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    peak = proc_status_mb("VmHWM") or maxrss
    print(json.dumps({"rss_before_scoring_mb": before, "peak_rss_mb": peak, "ru_maxrss_mb": maxrss}))


def measure_rss(kind: str, model: Path, n_docs: int) -> dict:
    """Run :func:`child` in a fresh interpreter and return what it reports."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--model", str(model), "--n-docs", str(n_docs)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def docs_per_second(fn, docs: list[str]) -> float:
    """Documents per second of one call ``fn(docs)``."""
    t0 = time.perf_counter()
    fn(docs)
    return len(docs) / (time.perf_counter() - t0)


def profile_scoring(analyzer, docs: list[str], top: int = 15) -> list[dict]:
    """The ``top`` functions by own time while scoring ``docs``."""
    prof = cProfile.Profile()
    prof.enable()
    analyzer.score_many(docs)
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    total = stats.total_tt
    rows = []
    for (filename, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        where = f"{Path(filename).name}:{line}({func})" if line else func
        if "site-packages" in filename:
            where = f"{filename.split('site-packages/')[-1]}:{line}({func})"
        elif str(REPO) in filename:
            where = f"{Path(filename).relative_to(REPO)}:{line}({func})"
        rows.append(
            {
                "function": where,
                "calls": ncalls,
                "tottime_s": tottime,
                "cumtime_s": cumtime,
                "share_of_total": tottime / total,
            }
        )
    rows.sort(key=lambda r: -r["tottime_s"])
    return rows[:top]


def stage_breakdown(analyzer, docs: list[str]) -> dict:
    """Seconds per document spent in each stage of framing's scoring, and of its tokeniser's parts."""
    from framing import text as ftext

    tokenizer = analyzer.vectorizer.tokenizer
    tokenizer(docs[0])
    lowered = [ftext.normalize(d).lower() for d in docs]
    plain_re = re.compile(ftext._WORD_TOKENIZER._pattern)

    def per_doc(fn, items) -> float:
        t0 = time.perf_counter()
        for x in items:
            fn(x)
        return (time.perf_counter() - t0) / len(items)

    t0 = time.perf_counter()
    Xt = analyzer.vectorizer.transform(docs)
    transform = (time.perf_counter() - t0) / len(docs)
    t0 = time.perf_counter()
    analyzer.results_from_features(Xt, [None] * len(docs))
    results = (time.perf_counter() - t0) / len(docs)
    tokenize = per_doc(tokenizer, docs)
    normalize = per_doc(ftext.normalize, docs)
    nltk_split = per_doc(ftext._WORD_TOKENIZER.tokenize, lowered)
    re_split = per_doc(plain_re.findall, lowered)
    ms = 1000.0
    n_models = len(analyzer.stance_models) + len(analyzer.frames) + 1
    return {
        "ms_per_doc": {
            "vectorizer.transform (all of featurising)": transform * ms,
            "  of which Tokenizer.__call__": tokenize * ms,
            "    of which normalize()": normalize * ms,
            "    of which nltk RegexpTokenizer.tokenize (regex engine + timeout guard)": nltk_split * ms,
            "    of which per-token filter, contractions, stop words, stem cache (rest)": (
                tokenize - normalize - nltk_split
            )
            * ms,
            "  of which n-grams, vocabulary lookup, tf-idf (scikit-learn)": (transform - tokenize) * ms,
            f"results_from_features ({n_models} models + Result objects)": results * ms,
        },
        "same_pattern_stdlib_re_findall_ms_per_doc": re_split * ms,
        "non_ascii_share_of_docs": sum(not d.isascii() for d in docs) / len(docs),
    }


def main() -> None:
    """Run the benchmark and write ``benchmarks/results/speed.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--smoke", action="store_true", help="200 documents, 2 repeats, seconds (CI); n_jobs=2 then runs serially"
    )
    parser.add_argument("--n-docs", type=int, default=None, help="documents to score (default 5000; smoke 200)")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 5; smoke 2)")
    parser.add_argument("--child", choices=["framing", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n_docs = args.n_docs or (200 if args.smoke else 5000)
    if args.child:
        child(args.child, args.model, n_docs)
        return
    if not CORPUS.is_file():
        print(f"SKIPPED: the project corpus {CORPUS} is missing; it is needed to train the models compared here.")
        sys.exit(0)
    repeats = args.repeats or (2 if args.smoke else 5)
    warnings.filterwarnings("ignore")

    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer

    import framing

    docs = make_documents(n_docs)
    words = sum(len(d.split()) for d in docs)
    print(f"{n_docs} documents, {words / n_docs:.0f} words on average; {repeats} interleaved repeats; 1 thread")

    # (c) training, saving, loading.
    t0 = time.perf_counter()
    corpus = framing.read_corpus(CORPUS)
    analyzer = framing.train(corpus)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    bare = train_bare()
    bare_train_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / "framing-bench.joblib"
        framing.save(analyzer, model_path)
        bare_path = Path(tmp) / "bare.joblib"
        joblib.dump(bare, bare_path, compress=3)
        loads = []
        for _ in range(3):
            t0 = time.perf_counter()
            framing.load(model_path)
            loads.append(time.perf_counter() - t0)
        model_source = "trained by this script from data/corpus.jsonl (framing.train defaults)"
        if BUNDLED.is_file():
            # Time and measure the bundled model too, when there is one; the comparison below uses
            # the freshly trained analyzer so that both sides learnt from the same texts.
            model_source += f"; bundled model present at {BUNDLED.relative_to(REPO)}"
        rss_framing = measure_rss("framing", model_path, n_docs)
        rss_bare = measure_rss("bare", bare_path, n_docs)
        footprint = {
            "train_seconds": train_s,
            "bare_train_seconds": bare_train_s,
            "model_file_bytes": model_path.stat().st_size,
            "bare_model_file_bytes": bare_path.stat().st_size,
            "load_seconds_median": statistics.median(loads),
            "n_features": analyzer.info.get("n_features"),
            "rss_framing": rss_framing,
            "rss_bare": rss_bare,
            "model_source": model_source,
        }

    # (a) interleaved throughput, one core.
    analyzer.score_many(docs[:50])
    bare.predict_proba(docs[:50])
    runs = []
    for i in range(repeats):
        f = docs_per_second(analyzer.score_many, docs)
        b = docs_per_second(bare.predict_proba, docs)
        runs.append({"framing_docs_per_s": f, "bare_docs_per_s": b, "ratio": f / b})
        print(f"  repeat {i + 1}: framing {f:7.0f} docs/s   bare {b:7.0f} docs/s   ratio {f / b:.3f}")
    ratio = statistics.median(r["ratio"] for r in runs)
    f_med = statistics.median(r["framing_docs_per_s"] for r in runs)
    b_med = statistics.median(r["bare_docs_per_s"] for r in runs)

    # (c) processes.
    analyzer.score_many(docs, n_jobs=2)  # start the workers once
    two = [docs_per_second(lambda d: analyzer.score_many(d, n_jobs=2), docs) for _ in range(2 if not args.smoke else 1)]
    two_med = statistics.median(two)

    # (b) tokenisation alone.
    tok_docs = docs[: min(len(docs), 1000)]
    tokenizers = {
        "framing Tokenizer as in the analyzer ("
        + repr(analyzer.vectorizer.tokenizer)
        + ")": analyzer.vectorizer.tokenizer,
        "framing Tokenizer(stem=False)": framing.text.Tokenizer(stem=False),
        "scikit-learn default analyzer (TfidfVectorizer().build_analyzer())": TfidfVectorizer().build_analyzer(),
        "scikit-learn analyzer, ngram_range=(1, 2)": TfidfVectorizer(ngram_range=(1, 2)).build_analyzer(),
    }
    tokenisation = {}
    for name, tok in tokenizers.items():
        tok(tok_docs[0])
        best = max(docs_per_second(lambda d, t=tok: [t(x) for x in d], tok_docs) for _ in range(3))
        tokenisation[name] = best

    results = {
        "n_docs": n_docs,
        "mean_words_per_doc": words / n_docs,
        "repeats": repeats,
        "threads": "OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1",
        "bare_pipeline": "TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2) + LogisticRegression(max_iter=2000), "
        "trained on the arms_sales stance labels of data/corpus.jsonl; predict_proba",
        "framing_models": f"{len(analyzer.stance_models)} stance models + frame model ({len(analyzer.frames)} frames + primary)",
        "throughput": {
            "runs": runs,
            "framing_docs_per_s_median": f_med,
            "bare_docs_per_s_median": b_med,
            "ratio_median": ratio,
            "target_ratio": TARGET_RATIO,
            "meets_target": ratio >= TARGET_RATIO,
        },
        "processes": {"n_jobs_1_docs_per_s": f_med, "n_jobs_2_docs_per_s": two_med, "speedup": two_med / f_med},
        "tokenisation_docs_per_s": tokenisation,
        "footprint": footprint,
    }
    if ratio < TARGET_RATIO:
        prof_docs = docs[: min(len(docs), 1000)]
        results["profile"] = {
            "n_docs": len(prof_docs),
            "top_own_time": profile_scoring(analyzer, prof_docs),
            "stages": stage_breakdown(analyzer, prof_docs),
        }

    print()
    print(
        table(
            ["measure", "framing", "bare scikit-learn", "framing / bare"],
            [
                ["scoring, docs/s (median, 1 core)", f_med, b_med, ratio],
                ["scoring, docs/s, n_jobs=2", two_med, "", ""],
                ["training, s", train_s, bare_train_s, ""],
                ["model file, KB", footprint["model_file_bytes"] / 1024, footprint["bare_model_file_bytes"] / 1024, ""],
                ["load, s (median of 3)", footprint["load_seconds_median"], "", ""],
                ["RSS after load, MB", rss_framing["rss_before_scoring_mb"], rss_bare["rss_before_scoring_mb"], ""],
                [f"peak RSS scoring {n_docs} docs, MB", rss_framing["peak_rss_mb"], rss_bare["peak_rss_mb"], ""],
            ],
        )
    )
    print()
    print(table(["tokeniser (tokens only)", "docs/s"], [[k, v] for k, v in tokenisation.items()]))
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"\nframing/bare throughput ratio {ratio:.2f} {verdict} the target of {TARGET_RATIO}.")
    if "profile" in results:
        print()
        stages = results["profile"]["stages"]
        print(table(["stage (framing scoring)", "ms/doc"], [[k, v] for k, v in stages["ms_per_doc"].items()]))
        print(
            f"(the same token pattern with stdlib re.findall: {stages['same_pattern_stdlib_re_findall_ms_per_doc']:.3f} ms/doc)"
        )
        print()
        print(
            table(
                ["function (cProfile, own time)", "calls", "own s", "share"],
                [
                    [r["function"][-90:], r["calls"], r["tottime_s"], f"{100 * r['share_of_total']:.0f}%"]
                    for r in results["profile"]["top_own_time"][:10]
                ],
            )
        )
    write_results("speed", results, args.smoke)


if __name__ == "__main__":
    main()
