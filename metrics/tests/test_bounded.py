"""The evaluator pool: every structural evaluation is bounded, a hostile one fails alone, and the caller lives on."""

import pytest

from metrics import bounded
from metrics.args import resolve_args
from metrics.registry import REGISTRY, MetricInputError, by_shortname
from metrics.tests import hostile_scorers as hostile
from metrics.tests.loopback import recording_server  # noqa: F401 - a fixture

ROW = {"prompt": "q", "input": None, "context": None, "output": "a", "golden_answer": "a"}
PASSED = (100.0, "output equals golden_answer", True)


@pytest.fixture
def one_second(settings):
    settings.METRIC_TIMEOUT_S = 1


def exact_match(fields=ROW):
    spec = by_shortname("exact_match")
    return spec, fields, resolve_args(spec)


def in_process(spec, fields, args):
    try:
        score = spec.score(fields, args)
    except MetricInputError as exc:
        return None, str(exc), False
    return score.result, score.explanation, True


def test_every_structural_metric_scores_in_the_pool_as_it_does_in_process():
    rows = [
        ROW,
        {**ROW, "output": '{"a": [1, 2]}', "golden_answer": '{"a": [2, 1]}'},
        {**ROW, "output": "<a x='1'><b/></a>", "golden_answer": "<a x='1'><b/></a>"},
        {**ROW, "output": "The cat sat. It was happy.\n\nThen it slept.", "golden_answer": "The cat slept."},
        {**ROW, "golden_answer": None},
    ]
    work = [
        (spec, fields, resolve_args(spec))
        for spec in REGISTRY.values()
        if not spec.is_judged and spec.shortname != "xml_schema_match"  # needs a schema argument
        for fields in rows
    ]

    assert list(bounded.iter_scores(work)) == [in_process(*item) for item in work]


def test_an_evaluation_that_never_returns_times_out(one_second):
    assert bounded.score(hostile.hostile(hostile.never_returns), ROW, {}) == (
        None,
        "never_returns: timed out after 1 s",
        False,
    )


def test_an_evaluation_stuck_in_a_busy_loop_is_stopped_too(one_second):
    assert bounded.score(hostile.hostile(hostile.spins), ROW, {}) == (None, "spins: timed out after 1 s", False)


def test_an_evaluation_that_exhausts_its_memory_is_too_large_to_evaluate(settings):
    settings.METRIC_MEMORY_MB = 256

    result, explanation, is_success = bounded.score(hostile.hostile(hostile.exhausts_memory), ROW, {})

    assert (result, is_success) == (None, False)
    assert explanation == "exhausts_memory: input is too large to evaluate"
    assert bounded.score(*exact_match()) == PASSED


def test_an_evaluator_killed_mid_evaluation_fails_that_evaluation_and_is_replaced():
    result, explanation, is_success = bounded.score(hostile.hostile(hostile.is_killed), ROW, {})

    assert (result, is_success) == (None, False)
    assert explanation.startswith("is_killed: too large to evaluate")
    assert bounded.score(*exact_match()) == PASSED


def test_a_hostile_row_in_a_batch_fails_alone_and_the_rest_are_scored(one_second):
    work = [exact_match()] * 300 + [(hostile.hostile(hostile.spins), ROW, {})] + [exact_match()] * 300

    outcomes = list(bounded.iter_scores(work))

    assert outcomes[300] == (None, "spins: timed out after 1 s", False)
    assert outcomes[:300] == outcomes[301:] == [PASSED] * 300


def test_an_evaluator_cannot_reach_the_network(recording_server):  # noqa: F811
    result, explanation, is_success = bounded.score(
        hostile.hostile(hostile.opens_a_connection), ROW, {"url": recording_server.url + "/x"}
    )

    assert (result, is_success) == (None, False)
    assert explanation == "opens_a_connection could not score this row (PermissionError)"
    assert recording_server.requests == []


def test_the_pool_starts_again_after_a_shutdown():
    bounded.shutdown()

    assert bounded.score(*exact_match()) == PASSED
