"""The analyzer: one shared vectoriser, one stance model per topic and one frame model.

Each text is featurised once and every model scores those features, so scoring two topics and
fifteen frames costs about as much as scoring one model.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from framing.corpus import Corpus
from framing.features import build_vectorizer, drop_stop_words_
from framing.models import FrameClassifier, StanceClassifier, check_texts, frames_to_indicator
from framing.result import FrameResult, Result, StanceResult
from framing.topics import BUNDLED_FRAMES, BUNDLED_TOPICS, Topic, infer_topic

__all__ = ["DEFAULT_PARAMS", "Analyzer", "TrainingDataWarning", "train"]

#: Defaults for :func:`train`, chosen by grouped cross-validation on the project's corpus
#: (``scripts/train_bundled.py``).
DEFAULT_PARAMS: dict[str, Any] = {
    "features": {
        "ngram_range": (1, 2),
        "min_df": 2,
        "max_df": 0.9,
        "sublinear_tf": True,
        "stem": True,
        "stop_words": True,
        "char_ngram_range": None,
    },
    "stance": {"C": 10.0, "class_weight": "balanced", "calibrate": True},
    "frames": {"C": 10.0, "class_weight": "balanced", "threshold": "tuned", "threshold_cv": 3},
}


class Analyzer:
    """Scores texts for stance on each topic and for frames.

    Build one with :func:`train` or load one with :func:`framing.load`.

    Parameters
    ----------
    vectorizer : TfidfVectorizer or FeatureUnion
        The fitted, shared feature extractor.
    stance_models : dict of str to StanceClassifier
        One fitted model per topic, fitted on ``vectorizer``'s features.
    frame_model : FrameClassifier or None
        The fitted frame model, on the same features.
    topics : dict of str to Topic
        The definition of each topic (labels, poles, neutral label).
    info : dict, optional
        Training details (corpus digest, sizes, parameters, metrics), saved in the manifest.
    """

    def __init__(
        self,
        vectorizer: Any,
        stance_models: Mapping[str, StanceClassifier],
        frame_model: FrameClassifier | None,
        topics: Mapping[str, Topic],
        info: dict[str, Any] | None = None,
    ) -> None:
        self.vectorizer = vectorizer
        self.stance_models = dict(stance_models)
        self.frame_model = frame_model
        self.topics = dict(topics)
        self.info = dict(info or {})

    # Caches (leading underscore) are rebuilt on demand and never saved, so that a model file
    # depends only on what was trained, not on what was scored or explained before saving.
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __repr__(self) -> str:
        frames = 0 if self.frame_model is None else len(self.frame_model.classes_)
        return f"<Analyzer topics={list(self.stance_models)} frames={frames}>"

    @property
    def frames(self) -> list[str]:
        """The frames the frame model knows (empty without a frame model)."""
        return [] if self.frame_model is None else [str(f) for f in self.frame_model.classes_]

    def featurize(self, texts: Iterable[str]) -> Any:
        """The shared TF-IDF features of ``texts`` (a sparse matrix, one row per text)."""
        return self.vectorizer.transform(check_texts(texts, "texts"))

    def score(self, text: str, id: str | None = None, *, frame_profile: bool = True) -> Result:
        """Score one text.

        Parameters
        ----------
        text : str
            The text. An empty or unknown-word text gets a valid result: the neutral label with
            uniform probabilities on each topic, and no frames.
        id : str, optional
            Carried into the result.
        frame_profile : bool, default=True
            Also compute :attr:`Result.frame_profile` (see :meth:`frame_profiles`).

        Returns
        -------
        Result
        """
        if not isinstance(text, str):
            raise TypeError(f"score expects a str, got {type(text).__name__}.")
        return self.score_many([text], ids=None if id is None else [id], frame_profile=frame_profile)[0]

    def frame_profiles(self, texts: Sequence[str]) -> list[dict[str, float] | None]:
        """The share of each text's sentences that use each frame.

        Every sentence is scored alone by the frame model and given the frame that clears its
        threshold by the widest margin (the largest probability / threshold ratio); sentences
        with no word the model knows are not counted. The shares of a text add up to 1.

        This differs from :attr:`FrameResult.probabilities`, which say how likely the *whole*
        text is to use each frame, independently per frame: an op-ed can use the economic frame
        with probability 0.9 while only one sentence in five makes an economic argument.

        Returns
        -------
        list of (dict of str to float, or None)
            One profile per text, frames in descending share; ``None`` without a frame model or
            when no sentence has a known word.
        """
        if self.frame_model is None:
            return [None] * len(texts)
        from framing.text import split_sentences

        per_text = [split_sentences(t) for t in texts]
        flat = [s for sents in per_text for s in sents]
        if not flat:
            return [None] * len(texts)
        X = self.vectorizer.transform(flat)
        known = np.diff(X.indptr) > 0
        ratio = self.frame_model.proba_from_features(X) / self.frame_model.thresholds_
        top = np.argmax(ratio, axis=1)
        classes = [str(c) for c in self.frame_model.classes_]
        profiles: list[dict[str, float] | None] = []
        start = 0
        for sents in per_text:
            end = start + len(sents)
            picks = [classes[top[i]] for i in range(start, end) if known[i]]
            start = end
            if not picks:
                profiles.append(None)
                continue
            counts: dict[str, int] = {}
            for frame in picks:
                counts[frame] = counts.get(frame, 0) + 1
            profiles.append({f: c / len(picks) for f, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))})
        return profiles

    def explain(self, text: str, **kwargs: Any) -> Any:
        """Explain the scores of ``text``; see :func:`framing.explain.explain`."""
        from framing.explain import explain

        return explain(self, text, **kwargs)

    def top_terms(self, n: int = 15, texts: Sequence[str] | None = None) -> dict[str, Any]:
        """The model's strongest terms per label and per frame; see :func:`framing.explain.top_terms`."""
        from framing.explain import top_terms

        return top_terms(self, n, texts)

    def score_many(
        self,
        texts: Iterable[str],
        ids: Sequence[str] | None = None,
        *,
        n_jobs: int | None = None,
        batch_size: int = 1000,
        frame_profile: bool = False,
    ) -> list[Result]:
        """Score many texts; one result per text, in order.

        Parameters
        ----------
        texts : iterable of str
            The texts.
        ids : sequence of str, optional
            One id per text, carried into the results.
        n_jobs : int, optional
            Worker processes (``-1``: one per core). The analyzer is sent once to each worker.
        batch_size : int, default=1000
            Texts featurised together; bounds the memory of one step.
        frame_profile : bool, default=False
            Also compute each text's :attr:`Result.frame_profile` (scores every sentence, so
            it costs about as much again as scoring the texts).

        Returns
        -------
        list of Result
        """
        texts = check_texts(texts, "texts")
        if ids is not None and len(ids) != len(texts):
            raise ValueError(f"ids has {len(ids)} entries for {len(texts)} texts.")
        id_list: list[str | None] = list(ids) if ids is not None else [None] * len(texts)
        if n_jobs == 0:
            raise ValueError("n_jobs == 0 has no meaning; use 1 for one process, -1 for one per core.")
        if n_jobs not in (None, 1) and len(texts) > batch_size:
            from joblib import Parallel, delayed, effective_n_jobs

            workers = effective_n_jobs(n_jobs)
            step = -(-len(texts) // workers)
            chunks = [(texts[i : i + step], id_list[i : i + step]) for i in range(0, len(texts), step)]
            parts = Parallel(n_jobs=workers)(
                delayed(_score_chunk)(self, t, i, batch_size, frame_profile) for t, i in chunks
            )
            return [r for part in parts for r in part]
        return _score_chunk(self, texts, id_list, batch_size, frame_profile)

    def results_from_features(self, Xt: Any, ids: Sequence[str | None]) -> list[Result]:
        """Results for already featurised texts (rows of ``Xt``)."""
        n = Xt.shape[0]
        known = np.diff(Xt.indptr) if hasattr(Xt, "indptr") else (Xt != 0).sum(axis=1)
        stance_parts = {}
        for topic, model in self.stance_models.items():
            stance_parts[topic] = (model.classes_, model.proba_from_features(Xt))
        frame_part = None
        if self.frame_model is not None:
            fm = self.frame_model
            proba = fm.proba_from_features(Xt)
            frame_part = (fm.classes_, proba, fm.primary_from_features(Xt, proba), fm.thresholds_)
        results = []
        for i in range(n):
            empty = known[i] == 0
            stance = {
                topic: self._stance_result(topic, classes, proba[i], empty)
                for topic, (classes, proba) in stance_parts.items()
            }
            frames = None
            if frame_part is not None:
                classes, proba, primary, thresholds = frame_part
                probs = {str(c): float(p) for c, p in zip(classes, proba[i])}
                over = [] if empty else [str(c) for c, p, t in zip(classes, proba[i], thresholds) if p >= t]
                main = None if empty else str(primary[i])
                # The dominant frame is used by definition, even when its own probability
                # falls just short of its threshold.
                if main is not None and main not in over:
                    over.append(main)
                over.sort(key=lambda c: -probs[c])
                frames = FrameResult(probs, main, over)
            results.append(Result(stance=stance, frames=frames, id=ids[i], n_known_terms=int(known[i])))
        return results

    def _stance_result(self, topic: str, classes: np.ndarray, proba: np.ndarray, empty: bool) -> StanceResult:
        definition = self.topics[topic]
        labels = [str(c) for c in classes]
        if empty:
            # No known word: no evidence for any side. Uniform, and the neutral label if the
            # topic has one, rather than whichever class the intercept happens to favour.
            probs = {c: 1.0 / len(labels) for c in labels}
            label = definition.neutral if definition.neutral in probs else labels[0]
        else:
            probs = {c: float(p) for c, p in zip(labels, proba)}
            label = labels[int(np.argmax(proba))]
        score = None
        if definition.positive in probs and definition.negative in probs:
            score = float(np.clip(probs[definition.positive] - probs[definition.negative], -1.0, 1.0))
        return StanceResult(topic=topic, label=label, probabilities=probs, score=score)


def _score_chunk(
    analyzer: Analyzer, texts: list[str], ids: list[str | None], batch_size: int, frame_profile: bool = False
) -> list[Result]:
    results: list[Result] = []
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        part = analyzer.results_from_features(analyzer.vectorizer.transform(batch), ids[start : start + batch_size])
        if frame_profile:
            part = [replace(r, frame_profile=p) for r, p in zip(part, analyzer.frame_profiles(batch))]
        results.extend(part)
    return results


def train(
    corpus: Corpus,
    *,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    topics: Mapping[str, Topic] | None = None,
    poles: Mapping[str, tuple[str, str]] | None = None,
    frames: bool = True,
    random_state: int = 0,
) -> Analyzer:
    """Train an analyzer on a labelled corpus.

    One vectoriser is fitted on all texts; each topic's stance model is fitted on the texts
    labelled for it, and the frame model on the texts with frames.

    Parameters
    ----------
    corpus : Corpus
        From :func:`framing.read_corpus`.
    params : dict, optional
        Overrides of :data:`DEFAULT_PARAMS`, by section: ``{"features": {...}, "stance": {...},
        "frames": {...}}``, and ``"topics": {topic: {...}}`` for one topic's stance model only.
    topics : dict of str to Topic, optional
        Topic definitions; by default inferred from the labels (bundled topics keep theirs).
    poles : dict of str to (str, str), optional
        For inferred topics, the (positive, negative) labels of the signed score.
    frames : bool, default=True
        Train the frame model when the corpus has frame labels.
    random_state : int, default=0
        Seed: the same corpus and seed give the same model.

    Returns
    -------
    Analyzer

    Raises
    ------
    ValueError
        If the corpus has no topic and no frames, or a topic has a single label.
    """
    settings: dict[str, dict[str, Any]] = {section: dict(values) for section, values in DEFAULT_PARAMS.items()}
    settings["topics"] = {}
    for section, values in (params or {}).items():
        if section not in settings:
            raise ValueError(f"Unknown parameter section {section!r}; expected one of {sorted(settings)}.")
        settings[section].update(values)
    use_frames = frames and corpus.frames is not None
    if not corpus.stance and not use_frames:
        raise ValueError(f"{corpus.source}: the corpus has no stance labels and no frames; nothing to train.")
    topic_defs: dict[str, Topic] = {}
    for name, labels in corpus.topics.items():
        if len(labels) < 2:
            raise ValueError(
                f"{corpus.source}: topic {name!r} has only one label ({labels}); a stance model needs two or more. "
                "Add texts with other labels or drop the topic."
            )
        if topics and name in topics:
            topic_defs[name] = topics[name]
        else:
            topic_defs[name] = infer_topic(name, labels, poles=(poles or {}).get(name))
    _warn_about_labels(corpus, topic_defs, settings["frames"].get("threshold_cv", 3) if use_frames else None)

    vectorizer = build_vectorizer(**settings["features"])
    Xt = vectorizer.fit_transform(corpus.texts)
    drop_stop_words_(vectorizer)

    stance_models: dict[str, StanceClassifier] = {}
    for name in topic_defs:
        topic_labels = corpus.stance[name]
        rows = [i for i, label in enumerate(topic_labels) if label is not None]
        # The estimators get the feature settings too, so that their parameters describe the
        # shared vectoriser they were fitted on.
        model = StanceClassifier(
            **settings["features"],
            **{**settings["stance"], **settings["topics"].get(name, {})},
            random_state=random_state,
        )
        model.fit_features(Xt[rows], [topic_labels[i] for i in rows])
        model.vectorizer_ = vectorizer
        stance_models[name] = model

    frame_model = None
    if use_frames:
        assert corpus.frames is not None
        rows = [i for i, fs in enumerate(corpus.frames) if fs]
        frame_lists = [corpus.frames[i] for i in rows]
        names = sorted({f for fs in frame_lists for f in fs}, key=_frame_order)
        frame_model = FrameClassifier(
            **settings["features"], **settings["frames"], labels=names, random_state=random_state
        )
        primary = [fs[0] for fs in frame_lists]
        Y, _ = frames_to_indicator(frame_lists, names)
        frame_model.fit_features(Xt[rows], Y, names=names, primary=primary)
        frame_model.vectorizer_ = vectorizer

    info = {
        "corpus": {
            "source": corpus.source,
            "digest": corpus.digest(),
            "n_documents": len(corpus),
            "label_counts": corpus.label_counts(),
        },
        "params": _jsonable(settings),
        "random_state": random_state,
        "n_features": int(Xt.shape[1]),
    }
    return Analyzer(vectorizer, stance_models, frame_model, topic_defs, info)


class TrainingDataWarning(UserWarning):
    """The training corpus has something to fix: a likely typo, a rare label, or conflicting duplicates."""


def _warn_about_labels(corpus: Corpus, topic_defs: Mapping[str, Topic], threshold_cv: int | None) -> None:
    """Warn, naming what to fix, about label problems that would silently weaken a model."""
    source = corpus.source
    for name, topic in topic_defs.items():
        bundled = BUNDLED_TOPICS.get(name)
        counts = Counter(label for label in corpus.stance[name] if label is not None)
        if bundled is not None and topic is not bundled:
            unknown = sorted(set(counts) - set(bundled.labels))
            warnings.warn(
                f"{source}: topic {name!r} has label(s) {unknown} that the bundled definition "
                f"({', '.join(bundled.labels)}) does not have; it is trained as a topic of its own. "
                "If these are typos, fix them in the corpus.",
                TrainingDataWarning,
                stacklevel=3,
            )
        rare = {label: n for label, n in counts.items() if n < 5}
        if rare:
            warnings.warn(
                f"{source}: topic {name!r} has labels with fewer than 5 examples ({rare}); "
                "the model can hardly learn them. Annotate more texts with these labels, or merge them.",
                TrainingDataWarning,
                stacklevel=3,
            )
    if threshold_cv is not None and corpus.frames is not None:
        frame_counts = Counter(f for fs in corpus.frames for f in fs)
        few = sorted(f for f, n in frame_counts.items() if n < threshold_cv)
        if few:
            warnings.warn(
                f"{source}: frame(s) {few} have fewer than {threshold_cv} examples, too few for the "
                f"{threshold_cv} threshold-tuning folds; they keep threshold 0.5. Annotate more examples.",
                TrainingDataWarning,
                stacklevel=3,
            )
    seen: dict[str, int] = {}
    conflicts: list[str] = []
    for i, text in enumerate(corpus.texts):
        key = " ".join(text.split()).lower()
        j = seen.setdefault(key, i)
        if j == i:
            continue
        same = all(corpus.stance[t][i] == corpus.stance[t][j] for t in corpus.stance)
        if corpus.frames is not None:
            same = same and set(corpus.frames[i]) == set(corpus.frames[j])
        if not same:
            conflicts.append(f"{corpus.ids[j]} / {corpus.ids[i]}")
    if conflicts:
        shown = ", ".join(conflicts[:5]) + (f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else "")
        warnings.warn(
            f"{source}: {len(conflicts)} duplicate text(s) with conflicting labels ({shown}); "
            "the model sees both labels for the same words. Resolve them in the corpus.",
            TrainingDataWarning,
            stacklevel=3,
        )


_CODEBOOK_ORDER = {name: i for i, name in enumerate(BUNDLED_FRAMES)}


def _frame_order(name: str) -> tuple[int, str]:
    # Bundled frames keep the codebook's order; others follow alphabetically.
    return (_CODEBOOK_ORDER.get(name, len(_CODEBOOK_ORDER)), name)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
