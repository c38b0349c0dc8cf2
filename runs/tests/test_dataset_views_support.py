"""The selectors GET /datasets/{id} uses to list the runs and evaluations on a dataset."""

import pytest

from datasets.tests.helpers import body
from runs.models import Run
from runs.selectors import dataset_evaluations, dataset_run_summaries
from runs.tests.helpers import dataset_run, make_dataset

pytestmark = pytest.mark.django_db


def test_dataset_lists_only_the_runs_the_caller_can_see(alice_api, alice, bob, carol):
    dataset = make_dataset(alice_api)
    private = body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    shared = body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    Run.objects.filter(pk=shared["id"]).update(org_id=alice.org_id)

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
