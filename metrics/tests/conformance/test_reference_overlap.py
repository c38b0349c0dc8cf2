"""bleu and rouge against sacrebleu and rouge-score on fixed pairs (values computed once by
generate_reference_scores.py and committed; neither library is consulted here)."""

import pytest

from .suites import load_json, score

CASES = load_json("reference_overlap/pairs.json")["cases"]
ASCII = [case for case in CASES if case["ascii"]]
BEYOND_ASCII = [case for case in CASES if not case["ascii"]]


def _ids(cases):
    return [f"{index}:{case['output'][:30]!r}" for index, case in enumerate(cases)]


def _options(key: str) -> dict:
    variant, *flags = key.split(",")
    options = {name: value == "True" for name, value in (flag.split("=") for flag in flags)}
    if variant:
        options["rouge_type"] = "L" if variant == "L" else int(variant)
    return options


def _disagreements(shortname: str, case: dict, expected: dict) -> dict:
    found = {}
    for key, value in expected.items():
        options = _options(key)
        result = score(shortname, case["output"], case["golden_answer"], **options).result
        if result != pytest.approx(value, rel=1e-12, abs=1e-12):
            found[key] = (result, value)
    return found


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_bleu_equals_sacrebleu(case):
    expected = {f",{key}": value for key, value in case["bleu"].items()}
    assert _disagreements("bleu", case, expected) == {}


@pytest.mark.parametrize("case", ASCII, ids=_ids(ASCII))
def test_rouge_equals_rouge_score_on_ascii(case):
    assert _disagreements("rouge", case, case["rouge"]) == {}


@pytest.mark.parametrize("case", BEYOND_ASCII, ids=_ids(BEYOND_ASCII))
def test_rouge_beyond_ascii_follows_its_documented_words(case):
    assert _disagreements("rouge", case, case["rouge"]) == {}


@pytest.mark.parametrize(
    "output,golden,words",
    [
        ("Café Noir", "café noir", 2),  # accented letters stay inside a word
        ("e\u0301cole", "e\u0301cole", 1),  # a combining accent too
        ("नमस्ते दुनिया", "नमस्ते दुनिया", 2),  # and Devanagari vowel signs
        ("東京タワー", "東京タワー", 5),  # one word per Han or Katakana character
        ("user_id", "user_id", 2),  # the underscore separates, as in rouge-score
    ],
)
def test_words_beyond_ascii(output, golden, words):
    from metrics.registry.similarity import tokenize

    assert len(tokenize(output, use_stemmer=False, case_sensitive=False)) == words
    assert score("rouge", output, golden, rouge_type=1).result == 100.0


def test_rouge_n_beyond_9():
    # rouge-score names only ROUGE-1 to ROUGE-9; the same formula holds for any N.
    words = "a b c d e f g h i j k l"
    assert score("rouge", words, words, rouge_type=12).result == 100.0
    assert score("rouge", words, words, rouge_type=13).result == 0.0  # no 13-gram on either side
    assert score("rouge", words.replace("l", "z"), words, rouge_type=11).result == 50.0


def test_the_pairs_are_all_there():
    assert (len(ASCII), len(BEYOND_ASCII)) == (450, 25)
