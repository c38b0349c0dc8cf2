"""Regression tests for inputs that used to take seconds to minutes (or never finished), one per finding.

Each runs where it runs in production (scorers in the evaluator pool, argument validation in this process) under a
generous time box, and asserts the outcome; none asserts a duration beyond having finished.
"""

import json
import multiprocessing
import random

import pytest
from pebble import concurrent

from metrics import bounded
from metrics.args import MetricArgsError, resolve_args
from metrics.registry import by_shortname

TIME_BOX_S = 120
WORDS = [f"word{i}" for i in range(3000)]


@pytest.fixture(autouse=True)
def generous_limit(settings):
    # An evaluation that regressed is stopped here and reported as timed out, which the assertions reject.
    settings.METRIC_TIMEOUT_S = TIME_BOX_S


def evaluate(shortname, output, golden=None, **args):
    spec = by_shortname(shortname)
    fields = {"prompt": None, "input": None, "context": None, "output": output, "golden_answer": golden}
    return bounded.score(spec, fields, resolve_args(spec, args))


@concurrent.process(timeout=TIME_BOX_S, context=multiprocessing.get_context("fork"))
def _validate_in_a_child(shortname, args):
    try:
        resolve_args(by_shortname(shortname), args)
    except MetricArgsError as exc:
        return exc.messages
    return None


def validation_problems(shortname, args):
    """resolve_args in a forked child, so a validator that never returns fails this test instead of hanging it."""
    return _validate_in_a_child(shortname, args).result()


def text(words: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words))


def test_rouge_l_on_two_8000_word_texts_scores():
    result, explanation, is_success = evaluate("rouge", text(8000, 1), text(8000, 2), rouge_type="L")

    assert is_success, explanation
    assert 0 < result < 100
    assert explanation.startswith("ROUGE-L F1")


def test_rouge_l_on_100000_word_texts_is_too_large_to_evaluate():
    result, explanation, is_success = evaluate("rouge", text(100_000, 1), text(100_000, 2), rouge_type="L")

    assert (result, is_success) == (None, False)
    assert "too large to evaluate" in explanation and "over 50,000 words" in explanation


def test_json_equal_unordered_with_extra_keys_on_4000_objects_scores():
    golden = [{"id": index, "ok": True} for index in range(4000)]
    output = [{**item, "extra": index % 7} for index, item in enumerate(golden)]
    random.Random(3).shuffle(output)
    golden_text = json.dumps(golden)
    assert len(golden_text) > 60_000

    result, explanation, is_success = evaluate(
        "json_equal", json.dumps(output), golden_text, ignore_order=True, ignore_extra_keys=True
    )
    assert (result, is_success) == (100.0, True), explanation

    output[0]["id"] = -1  # one object no longer has a partner
    result, _, is_success = evaluate(
        "json_equal", json.dumps(output), golden_text, ignore_order=True, ignore_extra_keys=True
    )
    assert (result, is_success) == (0.0, True)


def test_json_equal_unordered_that_needs_a_quadratic_pairing_is_too_large_to_evaluate():
    golden = [{"a": {"b": index}} for index in range(4000)]
    output = [{"a": {"b": index, "c": 0}} for index in range(4000)]
    random.Random(4).shuffle(output)

    result, explanation, is_success = evaluate(
        "json_equal", json.dumps(output), json.dumps(golden), ignore_order=True, ignore_extra_keys=True
    )

    assert (result, is_success) == (None, False)
    assert "too large to evaluate" in explanation


def test_xml_equal_unordered_on_3000_children_scores():
    children = [f'<item key="{index}">{index}</item>' for index in range(3000)]
    golden = "<list>" + "".join(children) + "</list>"
    random.Random(5).shuffle(children)
    output = "<list>" + "".join(child.replace("<item ", '<item extra="1" ') for child in children) + "</list>"

    for args in ({"ignore_order": True}, {"ignore_order": True, "ignore_extra_attributes": True}):
        result, explanation, is_success = evaluate("xml_equal", output, golden, **args)
        assert is_success, explanation
        assert result == (100.0 if args.get("ignore_extra_attributes") else 0.0)


def test_xml_equal_on_100000_attributes_scores():
    document = "<r " + " ".join(f'a{index}="{index}"' for index in range(100_000)) + "/>"
    assert len(document) > 1_000_000
    changed = document.replace('a99999="99999"', 'a99999="0"')

    for args in ({}, {"ignore_extra_attributes": True}, {"ignore_order": True}):
        assert evaluate("xml_equal", document, document, **args)[:1] == (100.0,)
        assert evaluate("xml_equal", changed, document, **args)[:1] == (0.0,)


def test_a_catastrophic_pattern_in_a_json_schema_finishes():
    # ^(a+)+$ takes the stdlib engine 37 s on 30 characters; the bounded engine answers at once.
    result, explanation, is_success = evaluate(
        "json_schema_match", json.dumps("a" * 30 + "!"), schema={"pattern": "^(a+)+$"}
    )
    assert (result, is_success) == (0.0, True), explanation


def test_a_pattern_that_backtracks_without_end_is_stopped_by_its_timeout():
    schema = {"patternProperties": {"^(a|aa)+$": {"type": "integer"}}, "additionalProperties": False}

    result, explanation, is_success = evaluate("json_schema_match", json.dumps({"a" * 40 + "!": 1}), schema=schema)

    assert (result, is_success) == (None, False)
    assert "took too long" in explanation


def test_an_unbounded_repetition_is_refused_by_the_argument_validator():
    problems = validation_problems("char_ct_match", {"custom_exclude_pattern": "a{1000000000}"})

    assert problems == [
        "metric 6 (char_ct_match): argument 'custom_exclude_pattern' is not accepted as a regular expression: "
        "it repeats something more than 1000 times"
    ]


@pytest.mark.parametrize(
    "pattern",
    ["a{1000000000}", "(a{1000}){1000}", "(((((a{10}){10}){10}){10}){10})", "x" * 1001],
    ids=["huge-count", "nested-counts", "deep-nesting", "too-long"],
)
def test_patterns_that_would_take_long_to_compile_are_refused_everywhere(pattern):
    assert validation_problems("word_ct_match", {"custom_delimiters": pattern})
    assert validation_problems("json_schema_match", {"schema": {"properties": {"a": {"pattern": pattern}}}})
    assert validation_problems("json_schema_match", {"schema": {"patternProperties": {pattern: {}}}})
