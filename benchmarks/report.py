"""Write docs/BENCHMARKS.md from the JSON results in benchmarks/results/.

    python benchmarks/report.py

Run it after the benchmarks; a benchmark without results is listed as not run.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from _common import REPO, RESULTS, machine, table, versions

DOC = REPO / "docs" / "BENCHMARKS.md"


def load(name: str) -> dict[str, Any] | None:
    """The full-run results of benchmark ``name``, or None."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def semeval_section(r: dict[str, Any]) -> list[str]:
    """SemEval-2016 Task 6 A tables."""
    d = r["defaults"]["pooled"]
    rows = [
        ["framing `StanceClassifier(random_state=0)` per target (defaults)", d["f_avg"], d["f_favor"], d["f_against"]]
    ]
    if "grid" in r:
        g = r["grid"]["pooled"]
        rows.append(
            ["framing, `GridSearchCV` per target (3-fold CV on train)", g["f_avg"], g["f_favor"], g["f_against"]]
        )
    rows += [[f"published: {p['system']}", p["f_avg"], p["f_favor"], p["f_against"]] for p in r["published"]]
    out = [
        "## SemEval-2016 Task 6, subtask A (stance of tweets, 5 targets)",
        "",
        f"`{r['command']}`. Trained on trial + training ({r['data']['n_train']} tweets), scored on test A "
        f"({r['data']['n_test']} tweets); official F_avg = macro F1 over FAVOR and AGAINST, pooled over targets, x100.",
        "",
        table(["system", "F_avg", "F_favor", "F_against"], rows),
        "",
        f"Goal for the defaults: >= {r['goal_f_avg']} (SVM-ngrams). "
        + ("**Met.**" if d["f_avg"] >= r["goal_f_avg"] else f"**Not met** ({d['f_avg']:.2f})."),
        "",
    ]
    headers = ["target", "train", "test", "F_avg defaults"]
    if "grid" in r:
        headers += ["F_avg grid", "best parameters (grid)"]
    trows = []
    for t, v in r["defaults"]["per_target"].items():
        row = [t, v["n_train"], v["n_test"], v["f_avg"]]
        if "grid" in r:
            gt = r["grid"]["per_target"][t]
            row += [gt["f_avg"], ", ".join(f"{k}={v}" for k, v in gt["best_params"].items())]
        trows.append(row)
    out += [table(headers, trows), ""]
    if "grid" in r:
        grid = ", ".join(f"`{k}` in {v}" for k, v in r["grid"]["grid"].items())
        out += [f"Grid: {grid}; scored by F_avg.", ""]
    return out


def frac_section(r: dict[str, Any]) -> list[str]:
    """FrAC tables."""
    c = r["framing_defaults"]
    return [
        "## FrAC (one policy frame per op-ed / comment sentence)",
        "",
        f"`{r['command']}`. {c['n']} sentences, {len(r['data']['frames'])} frames, {c['folds']}-fold stratified CV, "
        "`FrameClassifier()` defaults, primary frame from `predict_primary`.",
        "",
        table(
            ["system", "accuracy", "macro-F1"],
            [
                ["framing `FrameClassifier()` defaults, 5-fold CV", 100 * c["accuracy"], 100 * c["macro_f1"]],
                [f"majority class ({c['majority_class']})", 100 * c["majority_accuracy"], ""],
                ["published: RoBERTa-large, FrAC README (articles / comments)", "", "77 / 83"],
            ],
        ),
        "",
        "The published figure is not comparable: a fine-tuned transformer trained on 63K sentences, evaluation "
        "protocol and F1 variant unstated (SOURCE.md: not verified). No published TF-IDF baseline exists.",
        "",
        table(["frame", "F1"], [[k, 100 * v] for k, v in c["per_frame_f1"].items()]),
        "",
    ]


def gvfc_section(r: dict[str, Any]) -> list[str]:
    """GVFC tables."""
    a, b = r["theme1_only"], r["theme1_and_theme2"]
    return [
        "## GVFC (frames of gun-violence news headlines)",
        "",
        f"`{r['command']}`. {r['data']['n']} relevant, framed headlines (Q1 Relevant = 1, Theme1 != 99); "
        f"{r['data']['n_with_theme2']} have a second theme. 5-fold CV stratified on Theme1, `FrameClassifier()` defaults.",
        "",
        table(
            ["training labels", "Theme1 accuracy", "Theme1 macro-F1", "frame-set micro-F1", "majority acc."],
            [
                [
                    "Theme1 only",
                    100 * a["accuracy"],
                    100 * a["macro_f1"],
                    100 * a["frame_set_micro_f1"],
                    100 * a["majority_accuracy"],
                ],
                [
                    "Theme1 + Theme2 as secondary frame",
                    100 * b["accuracy"],
                    100 * b["macro_f1"],
                    100 * b["frame_set_micro_f1"],
                    100 * b["majority_accuracy"],
                ],
            ],
        ),
        "",
        "The primary frame is predicted by its own multinomial model, trained on Theme1 in both rows, so Theme2 "
        "changes only the per-frame models (frame-set micro-F1, scored against each row's own gold frame sets). "
        "Published: Liu et al. (CoNLL 2019) report accuracy on their own split; only the abstract's claim was "
        "verified (SOURCE.md), so there is no like-for-like number.",
        "",
        table(["frame", "F1"], [[k, 100 * v] for k, v in a["per_frame_f1"].items()]),
        "",
    ]


def speed_section(r: dict[str, Any]) -> list[str]:
    """Speed and footprint tables."""
    t, p, f = r["throughput"], r["processes"], r["footprint"]
    out = [
        "## Speed and footprint",
        "",
        f"`{r['command']}`. {r['n_docs']} documents of 400-800 words (mean {r['mean_words_per_doc']:.0f}), built "
        f"from the paragraphs of `data/corpus.jsonl`; {r['repeats']} interleaved repeats; {r['threads']}. "
        f"framing: {r['framing_models']}. Bare: {r['bare_pipeline']}.",
        "",
        table(
            ["measure", "framing", "bare scikit-learn", "framing / bare"],
            [
                [
                    "scoring, docs/s (median, 1 process)",
                    t["framing_docs_per_s_median"],
                    t["bare_docs_per_s_median"],
                    t["ratio_median"],
                ],
                ["scoring, docs/s, `n_jobs=2`", p["n_jobs_2_docs_per_s"], "", ""],
                ["training, s", f["train_seconds"], f["bare_train_seconds"], ""],
                ["model file, KB", f["model_file_bytes"] / 1024, f["bare_model_file_bytes"] / 1024, ""],
                ["load (`framing.load`), s", f["load_seconds_median"], "", ""],
                [
                    "RSS after loading, MB",
                    f["rss_framing"]["rss_before_scoring_mb"],
                    f["rss_bare"]["rss_before_scoring_mb"],
                    "",
                ],
                [
                    f"peak RSS scoring {r['n_docs']} docs, MB",
                    f["rss_framing"]["peak_rss_mb"],
                    f["rss_bare"]["peak_rss_mb"],
                    "",
                ],
            ],
        ),
        "",
        f"Target: framing >= {t['target_ratio']} of bare throughput. "
        + ("**Met.**" if t["meets_target"] else f"**Not met** (median ratio {t['ratio_median']:.2f})."),
        "",
        table(
            ["repeat", "framing docs/s", "bare docs/s", "ratio"],
            [[i + 1, x["framing_docs_per_s"], x["bare_docs_per_s"], x["ratio"]] for i, x in enumerate(t["runs"])],
        ),
        "",
        "Tokenisation alone (tokens, no features), best of 3 over 1,000 documents:",
        "",
        table(["tokeniser", "docs/s"], [[k, v] for k, v in r["tokenisation_docs_per_s"].items()]),
        "",
    ]
    if "profile" in r:
        s = r["profile"]["stages"]
        out += [
            "### Where framing's scoring time goes",
            "",
            table(["stage", "ms/doc"], [[k.strip(), v] for k, v in s["ms_per_doc"].items()]),
            "",
            f"The same token pattern run by the standard library's `re.findall`: "
            f"{s['same_pattern_stdlib_re_findall_ms_per_doc']:.3f} ms/doc. "
            f"{100 * s['non_ascii_share_of_docs']:.0f}% of the documents contain non-ASCII characters.",
            "",
            table(
                ["function (cProfile, own time)", "calls", "own s", "share"],
                [
                    [f"`{x['function']}`", x["calls"], x["tottime_s"], f"{100 * x['share_of_total']:.0f}%"]
                    for x in r["profile"]["top_own_time"][:10]
                ],
            ),
            "",
        ]
    return out


def main() -> None:
    """Render the document (``--smoke`` is accepted and does nothing, for CI loops)."""
    if "--smoke" in sys.argv[1:]:
        return
    v, m = versions(), machine()
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python benchmarks/report.py` from `benchmarks/results/*.json`; how to run each benchmark "
        "is in [`benchmarks/README.md`](../benchmarks/README.md).",
        "",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM ({m['platform']}). The machine was shared "
        "with other work while these ran, so timings carry noise; see the per-repeat spread.",
        "",
        "Commands (from the repository root):",
        "",
        "```sh",
        "python benchmarks/semeval.py",
        "python benchmarks/frac.py",
        "python benchmarks/gvfc.py",
        "python benchmarks/speed.py",
        "python benchmarks/report.py   # this file",
        "```",
        "",
    ]
    for name, section in (
        ("semeval", semeval_section),
        ("frac", frac_section),
        ("gvfc", gvfc_section),
        ("speed", speed_section),
    ):
        r = load(name)
        if r is None:
            lines += [f"## {name}", "", f"Not run (no `benchmarks/results/{name}.json`).", ""]
            continue
        lines += section(r)
        lines += [f"_Run {r['date']}._", ""]
    # Sections written by hand from other benchmarks' results (streaming training, ...) follow
    # the generated part; keep them.
    kept = ""
    if DOC.exists():
        old = DOC.read_text(encoding="utf-8")
        start = old.find("\n## Streaming training")
        if start != -1:
            kept = old[start:]
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("\n".join(lines).rstrip() + "\n" + kept, encoding="utf-8")
    print(f"wrote {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
