"""Topic definitions: the bundled topics and frames, and how a user's topic gets its poles.

This module is the only place where the bundled label lists live (see ``LABELS.md`` in the
project's design documents). Everything else reads labels from the data or from a trained model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["BUNDLED_FRAMES", "BUNDLED_TOPICS", "Topic", "infer_topic"]


@dataclass(frozen=True)
class Topic:
    """A question a text can take a side on, with its labels.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"arms_sales"``.
    labels : tuple of str
        Every label of the topic, in a stable order.
    positive, negative : str or None
        The two poles of the signed score ``P(positive) - P(negative)``. ``None`` when the
        topic has no natural poles; its results then carry no signed score.
    neutral : str or None
        The label used for balanced texts and texts that do not address the topic; an empty
        text is given this label.
    question : str
        The question the topic answers, for people reading results.
    """

    name: str
    labels: tuple[str, ...]
    positive: str | None = None
    negative: str | None = None
    neutral: str | None = None
    question: str = ""
    descriptions: dict[str, str] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """Return the topic as plain JSON-serialisable data."""
        return {
            "name": self.name,
            "labels": list(self.labels),
            "positive": self.positive,
            "negative": self.negative,
            "neutral": self.neutral,
            "question": self.question,
        }


BUNDLED_TOPICS: dict[str, Topic] = {
    "arms_sales": Topic(
        name="arms_sales",
        labels=("favor", "against", "neutral"),
        positive="favor",
        negative="against",
        neutral="neutral",
        question="Does the text support the arms transfer, sale, or military aid it discusses going ahead?",
        descriptions={
            "favor": "argues the transfer should go ahead, be expanded or be approved",
            "against": "argues it should be stopped, cut, delayed, conditioned, or regrets it",
            "neutral": "reports without taking a side, weighs both sides without a verdict, or does not discuss a transfer",
        },
    ),
    "regional_stability": Topic(
        name="regional_stability",
        labels=("stabilising", "destabilising", "neutral"),
        positive="stabilising",
        negative="destabilising",
        neutral="neutral",
        question="How does the text judge the development's effect on the stability of the region?",
        descriptions={
            "stabilising": "says the development strengthens deterrence, balance, or calm in the region",
            "destabilising": "says it feeds an arms race, escalation, or insecurity",
            "neutral": "no judgement about stability either way",
        },
    ),
}

#: The 15 policy frames (Media Frames Corpus codebook, Boydstun et al. 2014), with our definitions.
BUNDLED_FRAMES: dict[str, str] = {
    "economic": "money: costs, prices, contracts, jobs, trade, budgets, economic crisis",
    "capacity_and_resources": "what can be done with what is available: stocks, production capacity, manpower, time",
    "morality": "right and wrong, duty, religion, ethics, conscience",
    "fairness_and_equality": "whether people or states are treated equally or justly; double standards",
    "legality_constitutionality_jurisprudence": "laws, treaties, courts, export-control rules, congressional approval, rights under law",
    "policy_prescription_and_evaluation": "whether a policy works, and what should be done instead",
    "crime_and_punishment": "breaking laws, terrorism as crime, smuggling, sanctions as penalties, enforcement",
    "security_and_defense": "military power, threats, deterrence, war, weapons capability, national defence",
    "health_and_safety": "injury and death, civilian harm, disease, humanitarian safety",
    "quality_of_life": "effects on people's daily life, wealth, mobility, wellbeing",
    "cultural_identity": "traditions, national or religious identity, history as identity",
    "public_opinion": "what the public, voters, polls or protests think",
    "political": "politics as a contest: parties, elections, leaders' ambitions, civil-military power, lobbying",
    "external_regulation_and_reputation": "relations between states, alliances, diplomacy, a country's international standing",
    "other": "none of the above",
}

# Pole pairs recognised in a user's label set, first = positive side of the signed score.
_POLE_PAIRS = (
    ("favor", "against"),
    ("favour", "against"),
    ("pro", "con"),
    ("pro", "anti"),
    ("support", "oppose"),
    ("supportive", "opposed"),
    ("agree", "disagree"),
    ("positive", "negative"),
    ("stabilising", "destabilising"),
    ("stabilizing", "destabilizing"),
    ("for", "against"),
)
_NEUTRAL_NAMES = ("neutral", "none", "neither", "balanced", "discuss", "unrelated", "other", "mixed")


def infer_topic(
    name: str,
    labels: Iterable[str],
    poles: tuple[str, str] | None = None,
    neutral: str | None = None,
) -> Topic:
    """Build the :class:`Topic` for a label set found in a corpus.

    A bundled topic keeps its definition when the corpus uses only its labels. Otherwise the
    poles of the signed score are taken from ``poles`` if given, or recognised from common pairs
    (favor/against, pro/con, support/oppose, agree/disagree, positive/negative, ...) matched
    without regard to case; a label such as "neutral" or "none" becomes the neutral label.

    Parameters
    ----------
    name : str
        The topic name.
    labels : iterable of str
        The labels seen in the data.
    poles : (str, str), optional
        The positive and negative label, overriding the recognition.
    neutral : str, optional
        The neutral label, overriding the recognition.

    Returns
    -------
    Topic

    Raises
    ------
    ValueError
        If ``poles`` or ``neutral`` name a label that is not in ``labels``.

    Examples
    --------
    >>> infer_topic("abortion", ["FAVOR", "AGAINST", "NONE"]).positive
    'FAVOR'
    """
    found = tuple(sorted(set(labels)))
    positive: str | None
    negative: str | None
    bundled = BUNDLED_TOPICS.get(name)
    if bundled is not None and poles is None and neutral is None and set(found) <= set(bundled.labels):
        return bundled
    lower = {label.lower(): label for label in found}
    if poles is not None:
        missing = [p for p in poles if p not in found]
        if missing:
            raise ValueError(f"Topic {name!r}: pole label(s) {missing} not among the labels {list(found)}.")
        positive, negative = poles
    else:
        positive = negative = None
        for pos, neg in _POLE_PAIRS:
            if pos in lower and neg in lower:
                positive, negative = lower[pos], lower[neg]
                break
    if neutral is not None:
        if neutral not in found:
            raise ValueError(f"Topic {name!r}: neutral label {neutral!r} not among the labels {list(found)}.")
    else:
        neutral = next((lower[n] for n in _NEUTRAL_NAMES if n in lower), None)
    ordered = [x for x in (positive, negative, neutral) if x is not None]
    ordered += [x for x in found if x not in ordered]
    return Topic(name=name, labels=tuple(ordered), positive=positive, negative=negative, neutral=neutral)
