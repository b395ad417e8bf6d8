"""Shared fixtures: an empty NLTK_DATA folder, a small labelled corpus, trained models.

NLTK_DATA is pointed at an empty folder here, at import time, before any test module imports
nltk (through framing), so the whole suite proves that framing works offline, without any nltk
data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_EMPTY_NLTK_DATA = tempfile.mkdtemp(prefix="framing-empty-nltk-data-")
os.environ["NLTK_DATA"] = _EMPTY_NLTK_DATA

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

# (id, text, arms_sales, regional_stability, frames with the primary frame first)
RECORDS: list[tuple[str, str, str, str, list[str]]] = [
    # favor
    ("f01", "We should approve the fighter jet sale; strong deterrence keeps the peace in the Gulf.",
     "favor", "stabilising", ["security_and_defense"]),
    ("f02", "The tank contract will support thousands of factory jobs at home, so Congress must approve it.",
     "favor", "neutral", ["economic", "political"]),
    ("f03", "Selling air defence missiles to a close ally deters aggression and calms the region.",
     "favor", "stabilising", ["security_and_defense", "external_regulation_and_reputation"]),
    ("f04", "Approve the drone deal: our partners need modern weapons to defend their borders.",
     "favor", "stabilising", ["security_and_defense"]),
    ("f05", "The frigate order brings billions in export revenue and secures shipyard jobs.",
     "favor", "neutral", ["economic"]),
    ("f06", "Military aid to a threatened democracy is a moral duty, and it deters an invasion.",
     "favor", "stabilising", ["morality", "security_and_defense"]),
    ("f07", "A balanced deterrent makes war less likely; the missile sale should go ahead.",
     "favor", "stabilising", ["security_and_defense"]),
    ("f08", "Expanding the arms package strengthens the alliance and keeps the region calm.",
     "favor", "stabilising", ["external_regulation_and_reputation", "security_and_defense"]),
    ("f09", "Lawmakers must approve the helicopter sale quickly; the contract protects local jobs.",
     "favor", "neutral", ["economic", "political"]),
    ("f10", "The sale is legal under the export rules and the treaty, so the deal should go ahead.",
     "favor", "neutral", ["legality_constitutionality_jurisprudence"]),
    ("f11", "Supplying artillery shells helps an ally defend its cities and deters further attacks.",
     "favor", "stabilising", ["security_and_defense", "health_and_safety"]),
    ("f12", "Our allies deserve the best fighter jets; approve the sale and strengthen deterrence.",
     "favor", "stabilising", ["security_and_defense", "external_regulation_and_reputation"]),
    ("f13", "Arms exports pay for research and keep skilled workers in jobs, so support the deal.",
     "favor", "neutral", ["economic"]),
    ("f14", "Voters back the air defence sale, polls show, and parliament should approve it.",
     "favor", "neutral", ["political"]),
    ("f15", "Modern weapons for a partner navy bring balance to the strait and deter aggression.",
     "favor", "stabilising", ["security_and_defense"]),
    ("f16", "Delaying the jet sale would weaken the alliance; approve it now and support our partners.",
     "favor", "neutral", ["external_regulation_and_reputation", "political"]),
    # against
    ("a01", "We must not sell these bombs; they will kill civilians in a brutal war.",
     "against", "destabilising", ["health_and_safety", "morality"]),
    ("a02", "The missile sale will fuel an arms race and push the region toward escalation.",
     "against", "destabilising", ["security_and_defense"]),
    ("a03", "Congress should block the deal because the buyer broke the export law.",
     "against", "neutral", ["legality_constitutionality_jurisprudence", "political"]),
    ("a04", "Stop the weapons exports now: the bombing of hospitals shows the human cost of the war.",
     "against", "destabilising", ["health_and_safety"]),
    ("a05", "Selling jets to an abusive regime is morally wrong and makes us complicit.",
     "against", "neutral", ["morality"]),
    ("a06", "No more military aid without conditions; never arm a regime that jails journalists.",
     "against", "neutral", ["morality", "political"]),
    ("a07", "The tank deal breaks the arms trade treaty, and a court should block it.",
     "against", "neutral", ["legality_constitutionality_jurisprudence"]),
    ("a08", "These drones will escalate the border conflict and make the whole region insecure.",
     "against", "destabilising", ["security_and_defense"]),
    ("a09", "Stop the bomb sale: civilian deaths in the war are rising every week.",
     "against", "destabilising", ["health_and_safety"]),
    ("a10", "Cut the arms package; it will fuel a dangerous arms race among rival states.",
     "against", "destabilising", ["security_and_defense"]),
    ("a11", "The export licence breaks the law, and parliament must not approve the sale.",
     "against", "neutral", ["legality_constitutionality_jurisprudence", "political"]),
    ("a12", "Arming both sides deepens insecurity and prolongs a war that kills children.",
     "against", "destabilising", ["health_and_safety", "security_and_defense"]),
    ("a13", "We should not reward a regime that tortures prisoners with new fighter jets.",
     "against", "neutral", ["morality"]),
    ("a14", "The missile deal will provoke neighbours and push the border toward escalation.",
     "against", "destabilising", ["security_and_defense"]),
    ("a15", "Suspend the artillery shipments until an inquiry into civilian deaths is done.",
     "against", "neutral", ["health_and_safety"]),
    ("a16", "Neither jobs nor profits justify selling weapons that kill civilians; it is wrong.",
     "against", "neutral", ["morality", "economic"]),
    # neutral
    ("n01", "The defence ministry announced the jet sale on Tuesday; officials gave no further details.",
     "neutral", "neutral", ["political"]),
    ("n02", "Supporters cite deterrence and jobs, while critics cite civilian harm; parliament votes next month.",
     "neutral", "neutral", ["political"]),
    ("n03", "The city council voted to extend library opening hours over the summer.",
     "neutral", "neutral", ["quality_of_life"]),
    ("n04", "Heavy rain flooded several roads, and commuters faced long delays on Monday.",
     "neutral", "neutral", ["quality_of_life"]),
    ("n05", "The local football club signed a new striker after a long season.",
     "neutral", "neutral", ["quality_of_life"]),
    ("n06", "Bread prices rose again this month as the cost of flour climbed.",
     "neutral", "neutral", ["economic"]),
    ("n07", "The hospital opened a new wing for children with heart disease.",
     "neutral", "neutral", ["health_and_safety"]),
    ("n08", "A report lists the arms contracts signed last year without judging them.",
     "neutral", "neutral", ["economic"]),
    ("n09", "The festival celebrated traditional music, dance and the history of the old town.",
     "neutral", "neutral", ["quality_of_life"]),
    ("n10", "Officials from both countries met to discuss trade, tourism and the weapons deal.",
     "neutral", "neutral", ["external_regulation_and_reputation"]),
    ("n11", "The museum in the old town reopened after repairs, and ticket prices stay the same.",
     "neutral", "neutral", ["quality_of_life", "economic"]),
    ("n12", "Doctors warned that the flu season could strain the hospital this winter.",
     "neutral", "neutral", ["health_and_safety"]),
    ("n13", "The train line to the coast will reopen in spring after track repairs.",
     "neutral", "neutral", ["quality_of_life"]),
    ("n14", "Analysts disagree on whether the arms sale matters; the parliament vote is expected in June.",
     "neutral", "neutral", ["political"]),
    ("n15", "A new bakery in the old town sells bread made from local flour.",
     "neutral", "neutral", ["economic", "quality_of_life"]),
    ("n16", "The election campaign focused on schools, taxes and the train line.",
     "neutral", "neutral", ["political", "quality_of_life"]),
]  # fmt: skip


def record_dicts() -> list[dict]:
    """The fixture corpus as JSONL records (frames primary first, as read back)."""
    return [
        {
            "id": rid,
            "text": text,
            "stance": {"arms_sales": arms, "regional_stability": stability},
            "frames": list(frames),
            "primary_frame": frames[0],
        }
        for rid, text, arms, stability, frames in RECORDS
    ]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def cli_env() -> dict[str, str]:
    """Environment of a `python -m framing` subprocess: offline nltk, the checkout importable."""
    env = dict(os.environ)
    env["NLTK_DATA"] = _EMPTY_NLTK_DATA
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONHASHSEED", None)
    return env


def run_cli(*args: str | Path, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "framing", *map(str, args)],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=cwd,
        input=stdin,
        timeout=120,
    )


@pytest.fixture(scope="session")
def empty_nltk_data() -> str:
    return _EMPTY_NLTK_DATA


@pytest.fixture(scope="session")
def records() -> list[dict]:
    return record_dicts()


@pytest.fixture(scope="session")
def texts(records) -> list[str]:
    return [r["text"] for r in records]


@pytest.fixture(scope="session")
def arms_labels(records) -> list[str]:
    return [r["stance"]["arms_sales"] for r in records]


@pytest.fixture(scope="session")
def frame_lists(records) -> list[list[str]]:
    return [r["frames"] for r in records]


@pytest.fixture(scope="session")
def primaries(records) -> list[str]:
    return [r["primary_frame"] for r in records]


@pytest.fixture(scope="session")
def corpus_path(tmp_path_factory, records) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "corpus.jsonl", records)


@pytest.fixture(scope="session")
def corpus(corpus_path):
    from framing import read_corpus

    return read_corpus(corpus_path)


@pytest.fixture(scope="session")
def analyzer(corpus):
    import framing

    return framing.train(corpus, random_state=0)


@pytest.fixture(scope="session")
def stance_model(texts, arms_labels):
    from framing import StanceClassifier

    return StanceClassifier(random_state=0).fit(texts, arms_labels)


@pytest.fixture(scope="session")
def frame_model(texts, frame_lists, primaries):
    from framing import FrameClassifier

    return FrameClassifier(random_state=0).fit(texts, frame_lists, primary=primaries)


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory, analyzer) -> Path:
    """The session analyzer saved to a model file (read-only for tests: copy before changing)."""
    import framing

    path = tmp_path_factory.mktemp("model") / "model.joblib"
    framing.save(analyzer, path)
    return path


@pytest.fixture(scope="session")
def cli_trained(tmp_path_factory, corpus_path):
    """A model trained on the fixture corpus by `framing train` in a subprocess, and that command's result."""
    model = tmp_path_factory.mktemp("cli-model") / "cli-model.joblib"
    proc = run_cli("train", corpus_path, "-o", model)
    return model, proc


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_EMPTY_NLTK_DATA, ignore_errors=True)
