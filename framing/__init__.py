"""framing: stance and framing scores for op-eds, editorials and news commentary.

>>> import framing
>>> analyzer = framing.load()                      # doctest: +SKIP
>>> analyzer.score("We must not sell these jets.").stance["arms_sales"].label  # doctest: +SKIP
'against'
"""

from framing._show_versions import show_versions
from framing._version import __version__
from framing.analyzer import DEFAULT_PARAMS, Analyzer, TrainingDataWarning, train
from framing.corpus import Corpus, CorpusError, read_corpus
from framing.models import FrameClassifier, StanceClassifier, frames_to_indicator
from framing.persist import ModelFileError, ModelVersionWarning, UnsafeModelError, load, read_manifest, save
from framing.result import FrameResult, Result, StanceResult
from framing.text import normalize, split_sentences, tokenize
from framing.topics import BUNDLED_FRAMES, BUNDLED_TOPICS, Topic

__all__ = [
    "BUNDLED_FRAMES",
    "BUNDLED_TOPICS",
    "DEFAULT_PARAMS",
    "Analyzer",
    "Corpus",
    "CorpusError",
    "FrameClassifier",
    "FrameResult",
    "ModelFileError",
    "ModelVersionWarning",
    "Result",
    "StanceClassifier",
    "StanceResult",
    "Topic",
    "TrainingDataWarning",
    "UnsafeModelError",
    "__version__",
    "frames_to_indicator",
    "load",
    "normalize",
    "read_corpus",
    "read_manifest",
    "save",
    "show_versions",
    "split_sentences",
    "tokenize",
    "train",
]
