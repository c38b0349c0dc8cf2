"""Runs and /evaluate score structural metrics under the per-evaluation limits: a hostile row becomes a failed
evaluation with its reason, the rest of the run is scored, and the request (or task) that scores it lives on."""

import pytest

from datasets.tests.helpers import body
from metrics import registry
from metrics.tests import hostile_scorers as hostile
from metrics.tests.loopback import recording_server  # noqa: F401 - a fixture
from runs.models import Evaluation, Run
from runs.scoring import finish_run_if_complete, score_slice
from runs.tasks import id_slices
from runs.tests.helpers import by_metric, custom_run, dataset_run, make_dataset

pytestmark = pytest.mark.django_db


def evaluate(client, **fields):
    return client.post("/api/v1/evaluate", fields, format="json")


def row(output, golden):
    return {"prompt": None, "input": None, "context": None, "output": output, "golden_answer": golden}


def test_a_blocking_run_fails_only_the_row_too_large_to_evaluate(alice_api):
    long_text = " ".join(f"w{index % 500}" for index in range(60_000))
    response = custom_run(
        alice_api,
        is_blocking=True,
        evaluations=[
            {
                "metrics": [{"metric": "rouge", "metric_args": {"rouge_type": "L"}}, "exact_match"],
                "data": [row("the cat sat", "the cat sat"), row(long_text, long_text), row("a b", "a c")],
            }
        ],
    )

    assert response.status_code == 201, body(response)
    run = body(response)
    rouge = sorted(by_metric(run)["rouge"], key=lambda evaluation: evaluation["record"]["id"])
    assert [evaluation["is_success"] for evaluation in rouge] == [True, False, True]
    assert "too large to evaluate" in rouge[1]["explanation"]
    assert all(evaluation["is_success"] for evaluation in by_metric(run)["exact_match"])
    assert run["finished_at"] is not None


def test_evaluate_with_a_remote_schema_ref_fails_the_evaluation_and_fetches_nothing(alice_api, recording_server):  # noqa: F811
    schema = {"properties": {"a": {"$ref": f"{recording_server.url}/a.json"}}}

    response = evaluate(
        alice_api, metric_shortname="json_schema_match", output='{"a": 1}', metric_args={"schema": schema}
    )

    assert response.status_code == 201, body(response)
    result = body(response)
    assert (result["is_success"], result["result"]) == (False, None)
    assert "never fetched" in result["explanation"]
    assert recording_server.requests == []


def test_evaluate_refuses_an_unbounded_pattern_at_once(alice_api):
    response = evaluate(
        alice_api,
        metric_shortname="char_ct_match",
        output="aaa",
        metric_args={"custom_exclude_pattern": "a{1000000000}"},
    )

    assert response.status_code == 400
    assert "repeats something more than 1000 times" in str(body(response))


@pytest.mark.parametrize(
    "scorer, reason",
    [(hostile.never_returns, "timed out after 1 s"), (hostile.is_killed, "too large to evaluate")],
    ids=["hangs", "killed"],
)
def test_a_slice_with_a_hostile_evaluation_finishes_the_run(
    alice_api, settings, django_capture_on_commit_callbacks, scorer, reason
):
    settings.METRIC_TIMEOUT_S = 1
    settings.CELERY_BROKER_URL = ""
    with django_capture_on_commit_callbacks(execute=False):
        run_id = body(dataset_run(alice_api, make_dataset(alice_api)["id"]))["id"]
    # exact_match (id 1) scored by a hostile stand-in on every row; json_equal by the real metric.
    specs = {**registry.REGISTRY, 1: hostile.hostile(scorer, shortname="exact_match")}

    for first_id, last_id in id_slices(run_id):
        score_slice(run_id=run_id, first_id=first_id, last_id=last_id, specs=specs)
    finish_run_if_complete(run_id)

    hostile_rows = Evaluation.objects.filter(run_id=run_id, metric_id=1)
    assert {(e.is_success, e.result) for e in hostile_rows} == {(False, None)}
    assert all(e.explanation.startswith(f"exact_match: {reason}") for e in hostile_rows)
    assert Evaluation.objects.filter(run_id=run_id, metric_id=2, is_success__isnull=True).count() == 0
    assert Run.objects.get(pk=run_id).finished_at is not None
