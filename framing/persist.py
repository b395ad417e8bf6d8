"""Save and load analyzers: a joblib file, a JSON manifest beside it, and a verifying loader.

A joblib file is a pickle, and unpickling can run arbitrary code. So loading is done in three
checks before any object is built:

1. the manifest must exist, be valid JSON, and have a format version this library reads;
2. the model file's SHA-256 must equal the manifest's;
3. the pickle stream is read by an unpickler that constructs only the types on an allow-list
   (the numpy, scipy, scikit-learn and framing types our models are made of). Anything else,
   such as ``os.system`` or ``builtins.eval``, is refused before it is called, even when the
   manifest was forged to match the file.

See ``SECURITY.md`` for what this does and does not protect against.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import os
import platform
import tempfile
import warnings
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from joblib.numpy_pickle import NumpyUnpickler, _validate_fileobject_and_memmap

from framing._version import __version__
from framing.features import drop_stop_words_

__all__ = [
    "FORMAT_VERSION",
    "ModelFileError",
    "ModelVersionWarning",
    "UnsafeModelError",
    "bundled_model_path",
    "load",
    "manifest_path",
    "read_manifest",
    "save",
]

FORMAT_VERSION = 1
_MODEL_NAME = "framing-bundled.joblib"


class ModelFileError(ValueError):
    """A model file or its manifest is missing, malformed, or does not match."""


class UnsafeModelError(ModelFileError):
    """A model file asks to construct a type that is not on the allow-list."""


class ModelVersionWarning(UserWarning):
    """The model was saved with another scikit-learn version than the one loading it."""


# Every global a framing model file may reference, as "module.name". The names are exact:
# allowing a whole module would let a pickle call any function in it.
_ALLOWED_GLOBALS = frozenset(
    {
        # Python containers and helpers used by pickle protocol 2+ for plain objects.
        "builtins.dict",
        "builtins.list",
        "builtins.tuple",
        "builtins.set",
        "builtins.frozenset",
        "builtins.slice",
        "builtins.float",
        "builtins.int",
        "builtins.str",
        "builtins.object",
        "copyreg._reconstructor",
        "collections.OrderedDict",
        # numpy arrays, scalars and dtypes (numpy 1.x and 2.x module names).
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray._reconstruct",
        "numpy._core.multiarray.scalar",
        "numpy.float64",
        "numpy.float32",
        "numpy.int64",
        "numpy.int32",
        "numpy.bool_",
        "numpy.str_",
        "numpy.dtypes.Float64DType",
        "numpy.dtypes.Float32DType",
        "numpy.dtypes.Int64DType",
        "numpy.dtypes.Int32DType",
        "numpy.dtypes.ObjectDType",
        "numpy.dtypes.StrDType",
        "numpy.dtypes.BoolDType",
        "joblib.numpy_pickle.NumpyArrayWrapper",
        # scipy sparse matrices (a user's model may keep sparse coefficients).
        "scipy.sparse._csr.csr_matrix",
        "scipy.sparse._csc.csc_matrix",
        "scipy.sparse._csr.csr_array",
        # scikit-learn parts of our models.
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.feature_extraction.text.CountVectorizer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.pipeline.FeatureUnion",
        "sklearn.calibration.CalibratedClassifierCV",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.isotonic.IsotonicRegression",
        # streamed models (framing.streaming): hashed features and SGD learners with logistic loss.
        "sklearn.feature_extraction.text.HashingVectorizer",
        "sklearn.linear_model._stochastic_gradient.SGDClassifier",
        # framing's own types.
        "framing.analyzer.Analyzer",
        "framing.models.StanceClassifier",
        "framing.models.FrameClassifier",
        "framing.text.Tokenizer",
        "framing.features.char_preprocess",
        "framing.topics.Topic",
    }
)


class _AllowListUnpickler(NumpyUnpickler):
    """joblib's unpickler, refusing every global that is not on the allow-list.

    joblib routes the nested pickles of object arrays through this ``find_class`` too.
    """

    def find_class(self, module: str, name: str) -> Any:
        if f"{module}.{name}" not in _ALLOWED_GLOBALS:
            raise UnsafeModelError(
                f"{self.filename}: the model file asks to construct '{module}.{name}', which is not a type "
                "framing models are made of; refusing to load it. Only load model files from people you trust."
            )
        if module.startswith("numpy._core") and importlib.util.find_spec("numpy._core") is None:
            # Written under numpy 2, read under numpy 1.x, which names the same module numpy.core.
            module = "numpy.core" + module[len("numpy._core") :]
        return super().find_class(module, name)


def manifest_path(path: str | Path) -> Path:
    """The manifest path of a model file: ``model.joblib`` -> ``model.manifest.json``."""
    path = Path(path)
    return path.with_name(path.stem + ".manifest.json")


def bundled_model_path() -> Path:
    """Where the bundled model is: inside the installed package, or ``models/`` of a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "bundled_models" / _MODEL_NAME, here.parent / "models" / _MODEL_NAME):
        if candidate.exists():
            return candidate
    return here.parent / "models" / _MODEL_NAME


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _write_temp(path: Path, data: bytes) -> str:
    """Write ``data`` to a temporary file beside ``path`` (same file system, so rename is atomic)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file readable by its owner only; a model is meant to be shared.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _replace_pair(files: list[tuple[Path, bytes]]) -> None:
    """Replace several files so that an interruption leaves all old or all new versions.

    Each new file is written to a temporary name first; old files are kept as backups until
    every rename has succeeded, and put back if one fails.
    """
    temps: list[str] = []
    backups: list[tuple[str, Path]] = []
    try:
        for path, data in files:
            temps.append(_write_temp(path, data))
        for path, _ in files:
            if path.exists():
                backup = _write_temp(path, path.read_bytes())
                backups.append((backup, path))
        for tmp, (path, _) in zip(temps, files):
            os.replace(tmp, path)
    except BaseException:
        for backup, path in backups:
            os.replace(backup, path)
        backups.clear()
        raise
    finally:
        for name in temps + [b for b, _ in backups]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)


def save(analyzer: Any, path: str | Path, *, metrics: dict[str, Any] | None = None, compress: int = 3) -> Path:
    """Save an analyzer to ``path`` (joblib) with a JSON manifest beside it.

    Both files are written to temporary names and renamed into place, with the previous pair
    kept until both renames succeed: an interrupted save leaves the previous model, if any,
    loadable. The same corpus and seed give the same bytes, in any process.

    Parameters
    ----------
    analyzer : Analyzer
        The analyzer to save.
    path : str or Path
        The model file, conventionally ``*.joblib``.
    metrics : dict, optional
        Evaluation figures to record in the manifest.
    compress : int, default=3
        zlib compression level (0 for none).

    Returns
    -------
    Path
        The manifest's path.
    """
    from framing.analyzer import Analyzer

    if not isinstance(analyzer, Analyzer):
        raise TypeError(f"save expects an Analyzer, got {type(analyzer).__name__}.")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name such as {path / 'model.joblib'}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    # scikit-learn's transform records id(stop_words) again on every call: drop it, or a model
    # scored before saving would not be byte-identical to a freshly trained one.
    drop_stop_words_(analyzer.vectorizer)
    buffer = io.BytesIO()
    joblib.dump(analyzer, buffer, compress=compress)
    data = buffer.getvalue()
    info = analyzer.info
    manifest = {
        "format": "framing-model",
        "format_version": FORMAT_VERSION,
        "framing_version": __version__,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "joblib_version": joblib.__version__,
        "python_version": platform.python_version(),
        "topics": {name: topic.to_dict() for name, topic in analyzer.topics.items()},
        "frames": analyzer.frames,
        "corpus": info.get("corpus", {}),
        "params": info.get("params", {}),
        "random_state": info.get("random_state"),
        "n_features": info.get("n_features"),
        "metrics": metrics if metrics is not None else info.get("metrics", {}),
        "file": {"name": path.name, "bytes": len(data), "sha256": _sha256(data)},
    }
    mpath = manifest_path(path)
    _replace_pair([(path, data), (mpath, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))])
    return mpath


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read and check the manifest of the model file at ``path`` (not the model itself)."""
    mpath = manifest_path(path)
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(
            f"{path}: no manifest beside the model file (expected {mpath}); framing will not load a model it cannot verify."
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{mpath}: the manifest is not valid JSON ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "framing-model":
        raise ModelFileError(f"{mpath}: not a framing model manifest.")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{mpath}: model format version {version!r}, but this framing {__version__} reads version {FORMAT_VERSION}. "
            "Retrain the model, or install the framing version that wrote it."
        )
    if not isinstance(manifest.get("file"), dict) or not str(manifest["file"].get("sha256", "")).startswith("sha256:"):
        raise ModelFileError(f"{mpath}: the manifest has no 'file.sha256' entry.")
    return manifest


def load(path: str | Path | None = None) -> Any:
    """Load an analyzer, verifying it first; with no path, the bundled models.

    Parameters
    ----------
    path : str or Path, optional
        A model file written by :func:`save`. ``None`` loads the bundled models.

    Returns
    -------
    Analyzer

    Raises
    ------
    ModelFileError
        If the file or manifest is missing or malformed, or the file's hash does not match
        the manifest.
    UnsafeModelError
        If the file would construct a type outside the allow-list.

    Warns
    -----
    ModelVersionWarning
        If the model was saved with another scikit-learn version; both versions are named.
    """
    from framing.analyzer import Analyzer

    model_path = bundled_model_path() if path is None else Path(path)
    if model_path.is_dir():
        raise ModelFileError(f"{model_path} is a directory; give the model file (e.g. {model_path / 'model.joblib'}).")
    manifest = read_manifest(model_path)
    try:
        data = model_path.read_bytes()
    except FileNotFoundError:
        hint = (
            " (the bundled model is missing: reinstall framing, or rebuild models/ with scripts/train_bundled.py)"
            if path is None
            else ""
        )
        raise ModelFileError(f"{model_path}: no such model file{hint}.") from None
    digest = _sha256(data)
    if digest != manifest["file"]["sha256"]:
        raise ModelFileError(
            f"{model_path}: the file's SHA-256 ({digest}) does not match its manifest "
            f"({manifest['file']['sha256']}); the file was changed or corrupted. Refusing to load it."
        )
    saved_sklearn = manifest.get("sklearn_version")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = _unpickle(model_path, data)
    sklearn_notes = [str(w.message).splitlines()[0] for w in caught if "Version" in type(w.message).__name__]
    for w in caught:
        if "Version" not in type(w.message).__name__:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if saved_sklearn != sklearn.__version__:
        detail = f" scikit-learn said: {sklearn_notes[0]}" if sklearn_notes else ""
        warnings.warn(
            f"{model_path}: saved with scikit-learn {saved_sklearn}, loaded with scikit-learn {sklearn.__version__}; "
            f"scores may differ. Retrain the model with this version, or install scikit-learn=={saved_sklearn}.{detail}",
            ModelVersionWarning,
            stacklevel=2,
        )
    if not isinstance(obj, Analyzer):
        raise ModelFileError(f"{model_path}: holds a {type(obj).__name__}, not a framing Analyzer.")
    obj.info["manifest"] = manifest
    obj.info["path"] = str(model_path)
    return obj


def _unpickle(path: Path, data: bytes) -> Any:
    try:
        with _validate_fileobject_and_memmap(io.BytesIO(data), str(path), None) as (fobj, _):
            if not hasattr(fobj, "read"):
                # joblib < 0.10 files: joblib would read them with an unrestricted unpickler.
                raise ModelFileError(f"{path}: an old joblib format (before 0.10) that framing does not load.")
            return _AllowListUnpickler(str(path), fobj, ensure_native_byte_order=True).load()
    except ModelFileError:
        raise
    except Exception as exc:
        raise ModelFileError(
            f"{path}: the model file is damaged or not a framing model ({type(exc).__name__}: {exc})."
        ) from None
