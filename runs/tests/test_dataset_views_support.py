"""The selectors GET /datasets/{id} uses to list the runs and evaluations on a dataset."""

import pytest

from accounts.ownership import org_id_of
from datasets.tests.helpers import body
from runs.models import Run
from runs.selectors import dataset_evaluations, dataset_run_summaries
from runs.tests.helpers import dataset_run, make_dataset

pytestmark = pytest.mark.django_db


def test_dataset_lists_only_the_runs_the_caller_can_see(alice_api, alice, bob, carol):
    dataset = make_dataset(alice_api)
    private = body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    shared = body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    Run.objects.filter(pk=shared["id"]).update(org_id=org_id_of(alice))

    assert [summary["id"] for summary in dataset_run_summaries(alice, dataset["id"])] == [shared["id"], private["id"]]
    assert [summary["id"] for summary in dataset_run_summaries(bob, dataset["id"])] == [shared["id"]]
    assert dataset_run_summaries(carol, dataset["id"]) == []
    summary = dataset_run_summaries(bob, dataset["id"])[0]
    assert summary["user"] == "alice@acme.test"
    assert summary["dataset_id"] == dataset["id"]


def test_dataset_evaluations_come_from_visible_runs(alice_api, alice, bob):
    dataset = make_dataset(alice_api)
    run = body(dataset_run(alice_api, dataset["id"], is_blocking=True))

    assert [item["id"] for item in dataset_evaluations(alice, dataset["id"])] == [e["id"] for e in run["evaluations"]]
    assert list(dataset_evaluations(bob, dataset["id"])) == []


def test_get_dataset_lists_its_runs_and_evaluations(alice_api):
    dataset = make_dataset(alice_api)
    run = body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    shown = body(alice_api.get(f"/api/v1/datasets/{dataset['id']}"))
    assert [summary["id"] for summary in shown["runs"]] == [run["id"]]
    assert shown["runs"][0]["alias"] == run["alias"]
    assert [item["id"] for item in shown["evaluations"]] == [e["id"] for e in run["evaluations"]]
    assert len(shown["evaluations"]) == len(shown["records"]) * len(shown["selected_metrics"])
    assert shown["evaluations"][0]["record"]["id"] == shown["records"][0]["id"]


def test_minimal_dataset_keeps_run_summaries_but_neither_records_nor_evaluations(alice_api):
    dataset = make_dataset(alice_api)
    body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    shown = body(alice_api.get(f"/api/v1/datasets/{dataset['id']}", HTTP_PREFER="return=minimal"))
    assert "records" not in shown and "evaluations" not in shown and shown["record_count"] == 3
    assert len(shown["runs"]) == 1
    assert shown["runs"][0]["status"] == "finished" and shown["runs"][0]["progress"] == {
        "total": 6,
        "done": 6,
        "failed": 2,
    }
