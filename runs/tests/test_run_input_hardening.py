"""Run creates refuse text the database cannot store, deep bodies and too many rows, naming where, storing nothing."""

import json

import pytest

from datasets.tests.helpers import body
from runs.models import Evaluation, Run, RunRecord
from runs.tests.helpers import custom_run, dataset_run, make_dataset

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "must not contain U+0000 (NUL) or an unpaired surrogate: the database cannot store them."
ROW = {"output": "ok", "golden_answer": "ok"}


def error(response, status: int) -> dict:
    assert response.status_code == status, body(response)
    payload = body(response)
    assert isinstance(payload["detail"], str)
    return payload


def assert_no_run_stored():
    assert not Run.objects.exists()
    assert not Evaluation.objects.exists()
    assert not RunRecord.objects.exists()


def evaluate(client, **fields):
    return client.post("/api/v1/evaluate", fields, format="json")


# NUL, in every JSON value that reaches the database.


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"metric_args": {"pattern": "\x00"}}, "metric_args.pattern"),
        ({"metric_args": {"allowed_formats": ["%Y", "\x00"]}}, "metric_args.allowed_formats.1"),
        ({"output": "a\x00"}, "output"),
        ({"model_slug": "gpt\x00"}, "model_slug"),
    ],
)
def test_evaluate_with_nul_is_422_naming_its_path(alice_api, fields, where):
    payload = error(evaluate(alice_api, metric_shortname="exact_match", **fields), 422)
    assert payload["errors"] == {where: [NUL_MESSAGE]}
    assert_no_run_stored()


@pytest.mark.parametrize(
    ("block", "where"),
    [
        ({"metrics": ["exact_match", {"metric": "word_ct_match", "metric_args": {"custom_delimiters": "\x00"}}]},
         "evaluations.0.metrics.1.metric_args.custom_delimiters"),
        ({"metrics": ["exact_match"], "data": [ROW, {"output": "\x00"}]}, "evaluations.0.data.1.output"),
        ({"metrics": ["exact_match\x00"]}, "evaluations.0.metrics.0"),
    ],
)  # fmt: skip
def test_custom_run_with_nul_is_422_naming_its_path(alice_api, block, where):
    payload = error(custom_run(alice_api, alias="a", evaluations=[{"data": [ROW], **block}]), 422)
    assert payload["errors"] == {where: [NUL_MESSAGE]}
    assert_no_run_stored()


def test_dataset_run_with_nul_in_metric_args_is_422_naming_its_path(alice_api):
    dataset = make_dataset(alice_api)
    payload = error(dataset_run(alice_api, dataset["id"], metric_args={"1": {"x": "\x00"}}), 422)
    assert payload["errors"] == {"metric_args.1.x": [NUL_MESSAGE]}
    assert_no_run_stored()


def test_renaming_a_run_with_nul_is_422_and_changes_nothing(alice_api):
    run = body(
        custom_run(
            alice_api, alias="before", is_blocking=True, evaluations=[{"metrics": ["exact_match"], "data": [ROW]}]
        )
    )
    response = alice_api.put(f"/api/v1/runs/{run['id']}", {"alias": "after\x00"}, format="json")
    assert error(response, 422)["errors"] == {"alias": [NUL_MESSAGE]}
    assert Run.objects.get().alias == "before"


# Depth and size.


def test_custom_run_body_nested_100000_levels_is_422_not_500(alice_api):
    text = '{"evaluations": [{"metrics": [{"metric": "exact_match", "metric_args": {"x": ' + "[" * 100_000
    text += "]" * 100_000 + "}}], " + '"data": [{"output": "ok"}]}]}'
    response = alice_api.post("/api/v1/runs/custom", data=text, content_type="application/json")
    [where] = error(response, 422)["errors"]
    assert where.startswith("evaluations.0.metrics.0.metric_args.x.0.0")
    assert_no_run_stored()


def test_more_custom_run_rows_than_max_custom_run_rows_is_413(alice_api, settings):
    settings.MAX_CUSTOM_RUN_ROWS = 3
    blocks = [{"metrics": ["exact_match"], "data": [ROW, ROW]}, {"metrics": ["exact_match"], "data": [ROW, ROW]}]
    payload = error(custom_run(alice_api, evaluations=blocks), 413)
    assert payload["errors"] == {"evaluations": ["has 4 rows in all; at most 3 are accepted (MAX_CUSTOM_RUN_ROWS)."]}
    assert_no_run_stored()


def test_the_row_limit_is_checked_before_the_rows_are(alice_api, settings):
    settings.MAX_CUSTOM_RUN_ROWS = 1
    blocks = [{"metrics": ["exact_match"], "data": [{"output": 1}, {"output": 2}]}]
    assert error(custom_run(alice_api, evaluations=blocks), 413)["errors"].keys() == {"evaluations"}


def test_exactly_max_custom_run_rows_is_accepted(alice_api, settings):
    settings.MAX_CUSTOM_RUN_ROWS = 3
    blocks = [{"metrics": ["exact_match"], "data": [ROW]}, {"metrics": ["exact_match"], "data": [ROW, ROW]}]
    assert custom_run(alice_api, is_blocking=True, evaluations=blocks).status_code == 201
    assert RunRecord.objects.count() == 3


def test_a_custom_run_body_over_max_json_body_bytes_is_413(alice_api, settings):
    evaluations = [{"metrics": ["exact_match"], "data": [ROW] * 50}]
    settings.MAX_JSON_BODY_BYTES = len(json.dumps({"evaluations": evaluations}, separators=(",", ":"))) - 1
    assert "MAX_JSON_BODY_BYTES" in error(custom_run(alice_api, evaluations=evaluations), 413)["detail"]
    assert_no_run_stored()


# What the schema now states, the server refuses, naming the field.


def test_an_empty_evaluations_list_is_400_naming_it(alice_api):
    assert error(custom_run(alice_api, evaluations=[]), 400)["errors"] == {"evaluations": ["empty"]}
    assert_no_run_stored()


def test_an_empty_data_list_is_422_naming_it(alice_api):
    payload = error(custom_run(alice_api, evaluations=[{"metrics": ["exact_match"], "data": []}]), 422)
    assert payload["errors"] == {"evaluations.0.data.non_field_errors": ["This list may not be empty."]}
    assert_no_run_stored()


def test_a_block_with_no_metrics_beside_one_with_metrics_is_404_naming_it(alice_api):
    blocks = [{"metrics": ["exact_match"], "data": [ROW]}, {"metrics": [], "data": [ROW]}]
    payload = error(custom_run(alice_api, evaluations=blocks), 404)
    assert payload["detail"].startswith("evaluations.1.metrics is empty")
    assert_no_run_stored()


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"model_slug": ""}, "model_slug"),
        ({"model_slug": "  "}, "model_slug"),
        ({"evaluations": [{"metrics": ["exact_match"], "data": [ROW], "model_slug": ""}]}, "evaluations.0.model_slug"),
        ({"evaluations": [{"metrics": [{"metric": "exact_match", "model_slug": ""}], "data": [ROW]}]},
         "evaluations.0.metrics.0.model_slug"),
        ({"evaluations": [{"metrics": [""], "data": [ROW]}]}, "evaluations.0.metrics.0.metric"),
    ],
)  # fmt: skip
def test_a_blank_model_slug_or_metric_is_422_naming_it(alice_api, fields, where):
    payload = error(
        custom_run(alice_api, **{"evaluations": [{"metrics": ["exact_match"], "data": [ROW]}], **fields}), 422
    )
    assert list(payload["errors"]) == [where]
    assert_no_run_stored()


@pytest.mark.parametrize("endpoint", ["evaluate", "runs/dataset"])
def test_a_blank_model_slug_is_422_on_the_other_creates_too(alice_api, endpoint):
    fields = (
        {"metric_shortname": "exact_match"} if endpoint == "evaluate" else {"dataset_id": make_dataset(alice_api)["id"]}
    )
    response = alice_api.post(f"/api/v1/{endpoint}", {**fields, "model_slug": ""}, format="json")
    assert error(response, 422)["errors"] == {"model_slug": ["This field may not be blank."]}
    assert_no_run_stored()
