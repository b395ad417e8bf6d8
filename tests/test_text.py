"""framing.text: normalisation, sentence splitting, tokenisation, stemming, and working offline."""

from __future__ import annotations

import os
import pickle

import nltk
import pytest

import framing
from framing.text import STOP_WORDS, Tokenizer, normalize, split_sentences, tokenize, word_tokenize

# --------------------------------------------------------------------------- offline


def test_nltk_data_points_at_the_empty_folder(empty_nltk_data):
    assert os.environ["NLTK_DATA"] == empty_nltk_data
    assert empty_nltk_data in nltk.data.path
    assert os.listdir(empty_nltk_data) == []


def test_no_nltk_download_or_data_lookup_while_tokenising_training_and_scoring(monkeypatch, empty_nltk_data, corpus):
    def refuse(*args, **kwargs):
        raise AssertionError(f"nltk tried to fetch or load data: {args!r}")

    monkeypatch.setattr(nltk, "download", refuse)
    monkeypatch.setattr(nltk.downloader.Downloader, "download", refuse)
    monkeypatch.setattr(nltk.data, "find", refuse)
    monkeypatch.setattr(nltk.data, "load", refuse)

    assert tokenize("We shouldn't sell F-35s, Mr. Hale said.", stem=True)
    assert split_sentences("Mr. Hale voted no. The U.S. deal passed.") == [
        "Mr. Hale voted no.",
        "The U.S. deal passed.",
    ]
    analyzer = framing.train(corpus.subset(range(0, 48, 2)), frames=False, random_state=1)
    result = analyzer.score("Stop the sale of bombs that kill civilians.")
    assert result.stance["arms_sales"].label in {"favor", "against", "neutral"}
    assert os.listdir(empty_nltk_data) == []


# --------------------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u201cStop the sale\u201d", '"Stop the sale"'),
        ("don\u2019t \u2018sell\u2019", "don't 'sell'"),
        ("jets\u2014and tanks", "jets - and tanks"),
        ("2019\u20132021", "2019 - 2021"),
        ("arms\u00a0sale", "arms sale"),
        ("arms\u202fsale", "arms sale"),
        ("sa\u200ble of ar\u200dms", "sale of arms"),
        ("\ufeffarms", "arms"),
        ("ex\u00adport", "export"),
        ("\uff33\uff54\uff4f\uff50 the sale", "Stop the sale"),  # full-width letters (NFKC)
        ("\ufb01ghter jets", "fighter jets"),  # ligature (NFKC)
        ("a   lot \t of  space", "a lot of space"),
        ("line one\r\nline two", "line one\nline two"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_keeps_paragraph_breaks():
    assert normalize("First.\n\nSecond.") == "First.\n\nSecond."


def test_normalize_refuses_non_strings():
    with pytest.raises(TypeError, match="str"):
        normalize(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- words


def test_word_tokenize_splits_punctuation_everywhere():
    assert word_tokenize("Stop the sale,now!Then(again)wait;ok") == [
        "Stop", "the", "sale", ",", "now", "!", "Then", "(", "again", ")", "wait", ";", "ok",
    ]  # fmt: skip


def test_word_tokenize_keeps_designations_acronyms_and_numbers_whole():
    assert word_tokenize("The U.S. sold 1,000 F-35s and S-400s for 20% more.") == [
        "The", "U.S.", "sold", "1,000", "F-35s", "and", "S-400s", "for", "20%", "more", ".",
    ]  # fmt: skip


def test_tokenize_splits_punctuation_mid_line_not_only_at_the_end():
    tokens = tokenize("arms,sales;jets.tanks:drones!missiles?bombs")
    assert tokens == ["arms", "sales", "jets", "tanks", "drones", "!", "missiles", "?", "bombs"]


@pytest.mark.parametrize("word", ["not", "no", "nor", "against", "never", "should", "must", "but", "cannot"])
def test_negations_and_stance_words_are_kept(word):
    assert word not in STOP_WORDS
    assert word in tokenize(f"the {word} sale")
    assert word in tokenize(f"the {word} sale", stem=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("don't", ["not"]),  # "do" is a stop word
        ("shouldn't sell", ["should", "not", "sell"]),
        ("mustn\u2019t sell", ["must", "not", "sell"]),  # curly apostrophe
        ("can't", ["can", "not"]),
        ("won't", ["will", "not"]),
        ("isn't", ["not"]),
        ("DIDN'T", ["not"]),
        ("couldn't", ["could", "not"]),
    ],
)
def test_nt_contractions_become_not(text, expected):
    assert tokenize(text) == expected


def test_contractions_without_stop_words_keep_the_verb():
    assert tokenize("don't", stop_words=False) == ["do", "not"]


def test_tokenize_lowercases_drops_possessive_and_punctuation_keeps_question_and_exclamation():
    assert tokenize("Saudi Arabia's jets, really?! \u201cNo.\u201d") == [
        "saudi",
        "arabia",
        "jets",
        "really",
        "?",
        "!",
        "no",
    ]


def test_stop_words_switch():
    assert tokenize("the sale of the jets") == ["sale", "jets"]
    assert tokenize("the sale of the jets", stop_words=False) == ["the", "sale", "of", "the", "jets"]


def test_tokenize_normalises_unicode_first():
    assert tokenize("\uff33\uff54\uff4f\uff50 the sa\u200ble\u00a0now") == tokenize("Stop the sale now")


def test_empty_and_blank_text():
    assert tokenize("") == []
    assert tokenize("   \n\t ") == []
    assert tokenize("... ;;; ---") == []
    assert split_sentences("") == []
    assert split_sentences(" \n\n  ") == []


# --------------------------------------------------------------------------- stemming


def test_stemming_on_and_off():
    assert tokenize("Selling arms destabilises regions", stem=True) == ["sell", "arm", "destabilis", "region"]
    assert tokenize("Selling arms destabilises regions", stem=False) == ["selling", "arms", "destabilises", "regions"]


def test_stem_cache_is_used_and_filled():
    tok = Tokenizer(stem=True)
    calls = []
    real = tok._stemmer.stem

    def counting(word):
        calls.append(word)
        return real(word)

    tok._stemmer.stem = counting
    first = tok("selling jets, selling tanks")
    second = tok("selling jets")
    assert first == ["sell", "jet", "sell", "tank"]
    assert second == ["sell", "jet"]
    assert sorted(calls) == ["jets", "selling", "tanks"]  # each word type stemmed once
    assert tok._memo["selling"] == ("sell",)


def test_tokenizer_without_stemming_has_no_stemmer():
    tok = Tokenizer(stem=False)
    assert tok("selling") == ["selling"]
    assert tok._stemmer is None


@pytest.mark.parametrize("stem", [False, True])
def test_tokenizer_pickles_by_reference_with_its_parameters(stem):
    tok = Tokenizer(stem=stem, stop_words=False)
    tok("warm up the cache")
    data = pickle.dumps(tok)
    assert b"framing.text" in data and b"Tokenizer" in data
    back = pickle.loads(data)
    assert back == tok
    assert back._memo == {}  # the memo is not stored
    assert back("Selling the jets") == tok("Selling the jets")


# --------------------------------------------------------------------------- sentences


def test_split_sentences_knows_abbreviations():
    text = "Mr. Hale met the U.S. envoy on Monday. Sen. Warren and Gen. Smith were there too. They left."
    assert split_sentences(text) == [
        "Mr. Hale met the U.S. envoy on Monday.",
        "Sen. Warren and Gen. Smith were there too.",
        "They left.",
    ]


def test_split_sentences_on_question_and_exclamation_marks():
    assert split_sentences("Should we sell? No! Stop it.") == ["Should we sell?", "No!", "Stop it."]


def test_split_sentences_paragraph_breaks_end_a_sentence():
    assert split_sentences("A headline without a period\n\nThe body starts here.\nIt goes on.") == [
        "A headline without a period",
        "The body starts here.",
        "It goes on.",
    ]


def test_split_sentences_normalises_first():
    assert split_sentences("\u201cStop.\u201d\u00a0He\u200b left.") == ['"Stop."', "He left."]
