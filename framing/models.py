"""Estimators on raw text: :class:`StanceClassifier` (single label) and :class:`FrameClassifier` (multi-label).

Both take lists of strings, build their own TF-IDF features (:mod:`framing.features`) and fit
logistic regression. They follow scikit-learn's conventions, so ``clone``, ``Pipeline``,
``cross_val_score`` and ``GridSearchCV`` work on them directly.

Each also exposes its parts for the :class:`~framing.analyzer.Analyzer`, which fits one vectoriser
for several models and featurises each text once: ``featurize`` turns texts into features and the
``*_from_features`` methods score features.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from framing.features import build_vectorizer, drop_stop_words_

__all__ = ["FrameClassifier", "StanceClassifier", "check_texts", "frames_to_indicator"]

_FEATURE_PARAMS = (
    "ngram_range",
    "min_df",
    "max_df",
    "max_features",
    "sublinear_tf",
    "stem",
    "stop_words",
    "char_ngram_range",
    "char_max_features",
)


def check_texts(X: Any, name: str = "X") -> list[str]:
    """Return ``X`` as a list of str, or raise a clear error saying what is wrong.

    Parameters
    ----------
    X : iterable of str
        Raw text documents (a list, tuple, numpy array or pandas Series).
    name : str, default="X"
        The name used in error messages.

    Raises
    ------
    TypeError
        If ``X`` is a single string, not iterable, or holds something other than str.
    """
    if isinstance(X, (str, bytes)):
        raise TypeError(f"Iterable over raw text documents expected for {name}, {type(X).__name__} object received.")
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 1:
        X = X[:, 0]
    try:
        texts = list(X)
    except TypeError:
        raise TypeError(f"{name} must be an iterable of str, got {type(X).__name__}.") from None
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(text).__name__} ({text!r:.60}).")
    return texts


def frames_to_indicator(
    y: Iterable[Iterable[str]], classes: Sequence[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Turn lists of frame labels into a 0/1 indicator matrix and its column names.

    scikit-learn's model selection (``cross_val_score``, ``GridSearchCV``) needs multi-label
    targets as an indicator matrix; use this to convert, and pass the names as
    ``FrameClassifier(labels=...)``.

    Parameters
    ----------
    y : iterable of iterables of str
        The frames of each document.
    classes : sequence of str, optional
        The column order; by default the sorted set of frames seen.

    Returns
    -------
    Y : ndarray of shape (n_documents, n_frames)
    classes : list of str

    Examples
    --------
    >>> Y, names = frames_to_indicator([["economic"], ["economic", "morality"]])
    >>> Y.tolist(), names
    ([[1, 0], [1, 1]], ['economic', 'morality'])
    """
    rows = []
    for i, labels in enumerate(y):
        if isinstance(labels, str):
            raise TypeError(f"y[{i}] must be a list of frame labels, got the string {labels!r}.")
        rows.append([str(label) for label in labels])
    names = list(classes) if classes is not None else sorted({f for row in rows for f in row})
    index = {name: j for j, name in enumerate(names)}
    Y = np.zeros((len(rows), len(names)), dtype=np.int64)
    for i, row in enumerate(rows):
        for label in row:
            if label not in index:
                raise ValueError(f"y[{i}] has frame {label!r}, which is not among {names}.")
            Y[i, index[label]] = 1
    return Y, names


class _TextClassifier(ClassifierMixin, BaseEstimator):
    """Shared plumbing: feature parameters, the vectoriser, and input checks."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags

    def _feature_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FEATURE_PARAMS}

    def _fit_vectorizer(self, texts: list[str]) -> sparse.csr_matrix:
        self.vectorizer_ = build_vectorizer(**self._feature_params())
        try:
            Xt = self.vectorizer_.fit_transform(texts)
        except ValueError as exc:
            if "empty vocabulary" in str(exc) or "no terms remain" in str(exc):
                raise ValueError(
                    f"{type(self).__name__}: no usable words in the training texts after tokenising "
                    f"(min_df={self.min_df!r}, max_df={self.max_df!r}). Give more or longer texts, or lower min_df."
                ) from None
            raise
        drop_stop_words_(self.vectorizer_)
        return Xt

    def featurize(self, X: Iterable[str]) -> sparse.csr_matrix:
        """Return the TF-IDF features of raw texts, as the fitted model sees them."""
        check_is_fitted(
            self, "vectorizer_", msg=f"This {type(self).__name__} instance is not fitted yet. Call 'fit' first."
        )
        return self.vectorizer_.transform(check_texts(X))

    def _new_logistic(self) -> LogisticRegression:
        return LogisticRegression(
            C=self.C,
            class_weight=self.class_weight,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )


def _full_decision(decision: np.ndarray) -> np.ndarray:
    """Decision values with one column per class (a binary model gives one column: -d/2, d/2)."""
    if decision.ndim == 1:
        return np.column_stack([-decision / 2, decision / 2])
    return decision


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


_CANDIDATE_THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)


def _counts(proba: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, false positives and false negatives at every candidate threshold."""
    predicted = proba[:, None] >= _CANDIDATE_THRESHOLDS[None, :]
    column = truth[:, None]
    return (predicted & column).sum(axis=0), (predicted & ~column).sum(axis=0), (~predicted & column).sum(axis=0)


def _best_threshold(scores: np.ndarray) -> float:
    """The candidate with the best score; among ties the one nearest 0.5, the least surprising."""
    ties = _CANDIDATE_THRESHOLDS[np.isclose(scores, scores.max())]
    return float(ties[np.argmin(np.abs(ties - 0.5))])


def _fit_quietly(model: LogisticRegression, Xt: Any, y: Any) -> LogisticRegression:
    # lbfgs may stop a little short of max_iter on separable text data; the solution is still
    # usable, and one warning per frame and fold would drown the user's own output.
    # One BLAS thread: the solver works on vectors too small to gain from threads, and on a
    # busy machine competing threads made fits several times slower.
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(Xt, y)


class StanceClassifier(_TextClassifier):
    """Stance of a text toward one topic: TF-IDF features and logistic regression.

    Any label set found in the data is learnt (two or more labels).

    Parameters
    ----------
    C : float, default=10.0
        Inverse regularisation strength of the logistic regression.
    class_weight : "balanced", dict or None, default="balanced"
        Class weights; "balanced" weighs classes inversely to their frequency, which keeps a
        rare side from being ignored.
    ngram_range, min_df, max_df, max_features, sublinear_tf, stem, stop_words, char_ngram_range, char_max_features
        Feature settings, see :func:`framing.features.build_vectorizer`. The defaults (stemmed
        word 1-2-grams plus character 2-5-grams) gave the best cross-validated results on the
        public benchmarks (docs/BENCHMARKS.md); on long texts ``char_ngram_range=None`` is
        several times faster. The bundled analyzer uses its own settings
        (:data:`framing.DEFAULT_PARAMS`).
    calibrate : bool, default=False
        Fit a temperature on out-of-fold decision values (5 folds) and divide the decision
        values by it before the softmax, so that probabilities match observed accuracy.
        Predictions do not change. The bundled models use it (see the model card).
    max_iter : int, default=2000
        Iterations of the lbfgs solver.
    random_state : int or None, default=None
        Seed, for reproducible fits.

    Attributes
    ----------
    classes_ : ndarray of str
        The labels, sorted.
    vectorizer_ : TfidfVectorizer or FeatureUnion
        The fitted feature extractor.
    estimator_ : LogisticRegression
        The fitted classifier on the features.
    temperature_ : float
        The calibration temperature (1.0 without calibration).

    Examples
    --------
    >>> texts = ["We must approve the sale.", "Stop the sale now.", "Approve these jets.", "Halt these exports."]
    >>> model = StanceClassifier(random_state=0).fit(texts, ["favor", "against", "favor", "against"])
    >>> model.predict(["They must approve the jets."]).tolist()
    ['favor']
    """

    def __init__(
        self,
        *,
        C: float = 10.0,
        class_weight: str | dict | None = "balanced",
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int | float = 1,
        max_df: float = 1.0,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        stem: bool = True,
        stop_words: bool = True,
        char_ngram_range: tuple[int, int] | None = (2, 5),
        char_max_features: int | None = None,
        calibrate: bool = False,
        max_iter: int = 2000,
        random_state: int | None = None,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.stem = stem
        self.stop_words = stop_words
        self.char_ngram_range = char_ngram_range
        self.char_max_features = char_max_features
        self.calibrate = calibrate
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: Iterable[str], y: Iterable[Any]) -> StanceClassifier:
        """Fit on raw texts and their labels.

        Parameters
        ----------
        X : iterable of str
            Texts.
        y : iterable of labels
            One label per text, two distinct labels at least.

        Returns
        -------
        self
        """
        texts = check_texts(X)
        labels = self._check_labels(y, len(texts))
        Xt = self._fit_vectorizer(texts)
        return self.fit_features(Xt, labels)

    @staticmethod
    def _check_labels(y: Any, n: int) -> np.ndarray:
        if isinstance(y, str):
            raise TypeError("y must be a sequence of labels, one per text, not a single string.")
        values = list(y)
        # Keep numeric and boolean labels numeric (scikit-learn rejects an object array of
        # ints); strings and anything mixed go into an object array.
        labels = np.asarray(values)
        if labels.dtype.kind not in "biuf" or labels.ndim != 1:
            labels = np.empty(len(values), dtype=object)
            labels[:] = values
        if labels.ndim != 1:
            raise ValueError(f"y must be one label per text (a 1-d sequence), got shape {labels.shape}.")
        if n == 0:
            raise ValueError("Cannot fit on an empty corpus: X has 0 documents.")
        if len(labels) != n:
            raise ValueError(f"X and y have different lengths: {n} texts but {len(labels)} labels.")
        for i, label in enumerate(labels):
            if label is None or (isinstance(label, float) and np.isnan(label)):
                raise ValueError(f"y[{i}] is missing (None or NaN); every text needs a label.")
        kinds = {type(label) for label in labels}
        if len(kinds) > 1:
            raise TypeError(f"y mixes label types {sorted(k.__name__ for k in kinds)}; use one type, e.g. str.")
        if len(set(labels.tolist())) < 2:
            raise ValueError(
                f"StanceClassifier needs at least two distinct labels to learn from; y has only {labels[0]!r}."
            )
        return labels

    def fit_features(self, Xt: Any, y: Any) -> StanceClassifier:
        """Fit the classifier on features from :meth:`featurize` (of this or a shared vectoriser)."""
        labels = self._check_labels(y, Xt.shape[0])
        self.estimator_ = _fit_quietly(self._new_logistic(), Xt, labels)
        self.classes_ = self.estimator_.classes_
        self.n_features_in_ = Xt.shape[1]
        self.temperature_ = self._fit_temperature(Xt, labels) if self.calibrate else 1.0
        return self

    def _fit_temperature(self, Xt: Any, labels: np.ndarray) -> float:
        """Temperature that minimises the log loss of out-of-fold decision values.

        Class weighting and strong regularisation leave logistic-regression probabilities
        too cautious or too bold; dividing the decision values by one fitted temperature fixes
        the scale without changing any prediction (the arg-max is the same).
        """
        counts = np.unique(labels, return_counts=True)[1]
        n_splits = int(min(5, counts.min()))
        if n_splits < 2:
            return 1.0
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
        oof = np.zeros((len(labels), len(self.classes_)))
        for train, test in folds.split(np.zeros(len(labels)), labels):
            model = _fit_quietly(self._new_logistic(), Xt[train], labels[train])
            if len(model.classes_) != len(self.classes_):
                return 1.0
            oof[test] = _full_decision(model.decision_function(Xt[test]))
        truth = np.searchsorted(self.classes_, labels)

        def log_loss(log_t: float) -> float:
            p = _softmax(oof / np.exp(log_t))
            return float(-np.mean(np.log(np.clip(p[np.arange(len(truth)), truth], 1e-12, None))))

        best = minimize_scalar(log_loss, bounds=(-3.0, 3.0), method="bounded")
        return float(np.exp(best.x))

    def decision_from_features(self, Xt: Any) -> np.ndarray:
        """Decision values from features: shape (n,) for two classes, else (n, n_classes)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(Xt)

    def proba_from_features(self, Xt: Any) -> np.ndarray:
        """Class probabilities from features, shape (n, n_classes), columns in ``classes_`` order."""
        check_is_fitted(self, "estimator_")
        temperature = getattr(self, "temperature_", 1.0)
        if temperature == 1.0:
            return self.estimator_.predict_proba(Xt)
        return _softmax(_full_decision(self.estimator_.decision_function(Xt)) / temperature)

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """Class probabilities for raw texts, columns in ``classes_`` order."""
        return self.proba_from_features(self.featurize(X))

    def decision_function(self, X: Iterable[str]) -> np.ndarray:
        """Decision values of the logistic regression for raw texts."""
        return self.decision_from_features(self.featurize(X))

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """The most probable label of each text."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class FrameClassifier(_TextClassifier):
    """Frames of a text, several at once: one logistic regression per frame, with tuned thresholds.

    ``y`` is either a list of frame lists (one list per text) or a 0/1 indicator matrix whose
    columns are named by ``labels``. scikit-learn's model selection needs the indicator form;
    :func:`frames_to_indicator` converts.

    Each frame gets its own decision threshold, tuned on out-of-fold predictions over the
    training data (``threshold_cv`` folds), because a frame used by 5 % of texts is rarely best
    cut at probability 0.5: first to maximise that frame's F1, then refined jointly to maximise
    the F1 of all frame decisions together (micro-F1), which stops rare frames from being
    over-predicted. A frame with too few positive examples for the folds keeps 0.5.

    The primary frame is predicted by a separate multinomial model when ``primary`` labels are
    given to :meth:`fit`, else it is the frame with the highest probability.

    Parameters
    ----------
    C : float, default=10.0
        Inverse regularisation strength.
    class_weight : "balanced", dict or None, default="balanced"
        Class weights of each per-frame model.
    threshold : "tuned", "tuned_per_frame" or float, default="tuned"
        Thresholds tuned for micro-F1 (see above), tuned for each frame's own F1 only, or one
        fixed threshold for all frames.
    threshold_cv : int, default=3
        Folds for tuning thresholds.
    labels : sequence of str, optional
        Column names when ``y`` is an indicator matrix.
    ngram_range, min_df, max_df, max_features, sublinear_tf, stem, stop_words, char_ngram_range, char_max_features
        Feature settings, see :func:`framing.features.build_vectorizer`. The defaults (stemmed
        word 1-2-grams plus character 2-5-grams) gave the best cross-validated results on the
        public benchmarks (docs/BENCHMARKS.md); on long texts ``char_ngram_range=None`` is
        several times faster. The bundled analyzer uses its own settings
        (:data:`framing.DEFAULT_PARAMS`).
    max_iter : int, default=2000
        Iterations of the lbfgs solver.
    random_state : int or None, default=None
        Seed for the threshold folds and the solvers.

    Attributes
    ----------
    classes_ : ndarray of str
        The frames, in column order.
    coef_ : ndarray of shape (n_frames, n_features)
        Per-frame coefficients.
    intercept_ : ndarray of shape (n_frames,)
        Per-frame intercepts.
    thresholds_ : ndarray of shape (n_frames,)
        Per-frame probability thresholds.
    primary_estimator_ : LogisticRegression or None
        The primary-frame model, when trained with primary labels.
    vectorizer_ : TfidfVectorizer or FeatureUnion
        The fitted feature extractor.
    """

    def __init__(
        self,
        *,
        C: float = 10.0,
        class_weight: str | dict | None = "balanced",
        threshold: str | float = "tuned",
        threshold_cv: int = 3,
        labels: Sequence[str] | None = None,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int | float = 1,
        max_df: float = 1.0,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        stem: bool = True,
        stop_words: bool = True,
        char_ngram_range: tuple[int, int] | None = (2, 5),
        char_max_features: int | None = None,
        max_iter: int = 2000,
        random_state: int | None = None,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.threshold = threshold
        self.threshold_cv = threshold_cv
        self.labels = labels
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.stem = stem
        self.stop_words = stop_words
        self.char_ngram_range = char_ngram_range
        self.char_max_features = char_max_features
        self.max_iter = max_iter
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.classifier_tags.multi_label = True
        return tags

    def _indicator(self, y: Any, n: int) -> tuple[np.ndarray, list[str]]:
        if isinstance(y, str):
            raise TypeError("y must hold one list of frames per text, not a single string.")
        if sparse.issparse(y):
            y = y.toarray()
        if isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype != object:
            Y = y.astype(np.int64)
            names = list(self.labels) if self.labels is not None else [str(j) for j in range(Y.shape[1])]
            if len(names) != Y.shape[1]:
                raise ValueError(f"labels names {len(names)} frames but y has {Y.shape[1]} columns.")
            if not np.isin(Y, (0, 1)).all():
                raise ValueError("An indicator matrix y must hold only 0 and 1.")
        else:
            Y, names = frames_to_indicator(y, self.labels)
        if n == 0:
            raise ValueError("Cannot fit on an empty corpus: X has 0 documents.")
        if Y.shape[0] != n:
            raise ValueError(f"X and y have different lengths: {n} texts but {Y.shape[0]} frame lists.")
        if Y.shape[1] == 0:
            raise ValueError("y names no frames at all; every text needs at least one frame somewhere in the corpus.")
        return Y, names

    def fit(self, X: Iterable[str], y: Any, primary: Iterable[str] | None = None) -> FrameClassifier:
        """Fit on raw texts and their frames.

        Parameters
        ----------
        X : iterable of str
            Texts.
        y : list of lists of str, or indicator matrix of shape (n_texts, n_frames)
            The frames of each text.
        primary : iterable of str, optional
            The primary frame of each text; trains a dedicated primary-frame model.

        Returns
        -------
        self
        """
        texts = check_texts(X)
        Y, names = self._indicator(y, len(texts))
        Xt = self._fit_vectorizer(texts)
        return self.fit_features(Xt, Y, names=names, primary=primary)

    def fit_features(
        self,
        Xt: Any,
        y: Any,
        names: Sequence[str] | None = None,
        primary: Iterable[str] | None = None,
    ) -> FrameClassifier:
        """Fit on features from :meth:`featurize` (of this or a shared vectoriser)."""
        if names is None:
            Y, names = self._indicator(y, Xt.shape[0])
        else:
            Y = np.asarray(y)
        n_frames = Y.shape[1]
        self.classes_ = np.asarray(names, dtype=object)
        self.coef_ = np.zeros((n_frames, Xt.shape[1]))
        self.intercept_ = np.zeros(n_frames)
        for j in range(n_frames):
            column = Y[:, j]
            if column.min() == column.max():
                # Every text has (or lacks) this frame: a constant, expressed as an intercept so
                # that scoring stays one matrix product.
                self.intercept_[j] = 20.0 if column[0] else -20.0
                continue
            model = _fit_quietly(self._new_logistic(), Xt, column)
            self.coef_[j] = model.coef_[0]
            self.intercept_[j] = model.intercept_[0]
        self.thresholds_ = self._tune_thresholds(Xt, Y)
        self.primary_estimator_ = None
        if primary is not None:
            primary_labels = np.asarray(list(primary), dtype=object)
            if len(primary_labels) != Xt.shape[0]:
                raise ValueError(f"primary has {len(primary_labels)} labels for {Xt.shape[0]} texts.")
            unknown = sorted(set(primary_labels.tolist()) - set(names))
            if unknown:
                raise ValueError(f"primary frame(s) {unknown} are not among the frames {list(names)}.")
            if len(set(primary_labels.tolist())) >= 2:
                self.primary_estimator_ = _fit_quietly(self._new_logistic(), Xt, primary_labels)
        self.n_features_in_ = Xt.shape[1]
        return self

    def _tune_thresholds(self, Xt: Any, Y: np.ndarray) -> np.ndarray:
        n_frames = Y.shape[1]
        if self.threshold not in ("tuned", "tuned_per_frame"):
            value = float(self.threshold)
            if not 0.0 < value < 1.0:
                raise ValueError(
                    f"threshold must be 'tuned', 'tuned_per_frame' or a float in (0, 1), got {self.threshold!r}."
                )
            return np.full(n_frames, value)
        if not isinstance(self.threshold_cv, int) or self.threshold_cv < 2:
            raise ValueError(f"threshold_cv must be an int >= 2, got {self.threshold_cv!r}.")
        thresholds = np.full(n_frames, 0.5)
        truth = Y.astype(bool)
        oof = np.zeros(Y.shape)
        tunable = []
        for j in range(n_frames):
            column = Y[:, j]
            positives = int(column.sum())
            if min(positives, len(column) - positives) < self.threshold_cv:
                continue
            tunable.append(j)
            folds = StratifiedKFold(self.threshold_cv, shuffle=True, random_state=self.random_state)
            for train, test in folds.split(np.zeros(len(column)), column):
                model = _fit_quietly(self._new_logistic(), Xt[train], column[train])
                oof[test, j] = model.predict_proba(Xt[test])[:, 1]
            tp, fp, fn = _counts(oof[:, j], truth[:, j])
            thresholds[j] = _best_threshold(2 * tp / np.maximum(2 * tp + fp + fn, 1))
        if self.threshold == "tuned" and tunable:
            # Per-frame F1 optima over-predict rare frames (a low threshold costs a rare frame
            # little recall but adds false positives that count against the whole set). Refine
            # them jointly for the F1 of all frame decisions together (micro-F1), by coordinate
            # ascent: each frame's threshold in turn, the others fixed.
            predicted = oof >= thresholds
            for _ in range(3):
                changed = False
                for j in tunable:
                    rest = np.delete(np.arange(n_frames), j)
                    r_tp = int((predicted[:, rest] & truth[:, rest]).sum())
                    r_fp = int((predicted[:, rest] & ~truth[:, rest]).sum())
                    r_fn = int((~predicted[:, rest] & truth[:, rest]).sum())
                    tp, fp, fn = _counts(oof[:, j], truth[:, j])
                    scores = 2 * (tp + r_tp) / np.maximum(2 * (tp + r_tp) + fp + r_fp + fn + r_fn, 1)
                    best = _best_threshold(scores)
                    if best != thresholds[j]:
                        thresholds[j] = best
                        predicted[:, j] = oof[:, j] >= best
                        changed = True
                if not changed:
                    break
        return thresholds

    def decision_from_features(self, Xt: Any) -> np.ndarray:
        """Per-frame decision values (log-odds), shape (n, n_frames)."""
        check_is_fitted(self, "coef_")
        return np.asarray(Xt @ self.coef_.T) + self.intercept_

    def proba_from_features(self, Xt: Any) -> np.ndarray:
        """Per-frame probabilities, shape (n, n_frames); rows do not sum to 1."""
        return 1.0 / (1.0 + np.exp(-self.decision_from_features(Xt)))

    def primary_from_features(self, Xt: Any, proba: np.ndarray | None = None) -> np.ndarray:
        """The primary frame of each text, from features."""
        check_is_fitted(self, "coef_")
        if self.primary_estimator_ is not None:
            return self.primary_estimator_.predict(Xt)
        if proba is None:
            proba = self.proba_from_features(Xt)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """Per-frame probabilities for raw texts, columns in ``classes_`` order."""
        return self.proba_from_features(self.featurize(X))

    def decision_function(self, X: Iterable[str]) -> np.ndarray:
        """Per-frame decision values for raw texts."""
        return self.decision_from_features(self.featurize(X))

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """0/1 indicator matrix of the frames over their thresholds, shape (n, n_frames)."""
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int64)

    def predict_labels(self, X: Iterable[str]) -> list[list[str]]:
        """The frames over their thresholds, as a list of frame names per text."""
        return [list(self.classes_[row.astype(bool)]) for row in self.predict(X)]

    def predict_primary(self, X: Iterable[str]) -> np.ndarray:
        """The primary frame of each text."""
        return self.primary_from_features(self.featurize(X))

    def score(self, X: Iterable[str], y: Any, sample_weight: Any = None) -> float:
        """Micro-averaged F1 of the predicted frames (not subset accuracy, which is too harsh for frames)."""
        texts = check_texts(X)
        if isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype != object:
            Y = y.astype(np.int64)
        else:
            Y, _ = frames_to_indicator(y, list(self.classes_))
        return float(f1_score(Y, self.predict(texts), average="micro", sample_weight=sample_weight, zero_division=0.0))
