"""The run admin is read-only but for the alias, which it renames through the run update service."""

import pytest

from datasets.tests.helpers import body
from runs.models import Run
from runs.tests.helpers import dataset_run, make_dataset


@pytest.fixture
def run(alice_api):
    response = dataset_run(alice_api, make_dataset(alice_api)["id"], is_blocking=True, alias="first")
    assert response.status_code == 201
    return Run.objects.get(pk=body(response)["id"])


def change(staff_client, run, **fields):
    return staff_client.post(f"/admin/runs/run/{run.pk}/change/", {"alias": run.alias, **fields})


def test_staff_rename_a_run(staff_client, run):
    assert change(staff_client, run, alias="renamed").status_code == 302
    run.refresh_from_db()
    assert run.alias == "renamed"


def test_an_alias_the_owner_already_uses_is_refused(staff_client, alice_api, run):
    dataset_run(alice_api, run.dataset_id, is_blocking=True, alias="second")
    response = change(staff_client, run, alias="second")
    assert response.status_code == 200
    assert "second" in str(response.context["adminform"].form.errors)
    run.refresh_from_db()
    assert run.alias == "first"


def test_every_other_field_is_read_only(staff_client, run, bob, globex):
    before = Run.objects.filter(pk=run.pk).values().get()
    response = change(staff_client, run, user=bob.pk, org=globex.pk, dataset="", result="1.0", total_cost="0")
    assert response.status_code == 302
    assert Run.objects.filter(pk=run.pk).values().get() == before


def test_runs_cannot_be_added_or_deleted_from_the_admin(staff_client, run):
    assert staff_client.get("/admin/runs/run/add/").status_code == 403
    assert staff_client.post(f"/admin/runs/run/{run.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Run.objects.filter(pk=run.pk).exists()


def test_a_runs_evaluations_are_listed_read_only_and_paginated(staff_client, run):
    page = staff_client.get(f"/admin/runs/run/{run.pk}/change/").content.decode()
    assert f"?run__id__exact={run.pk}" in page
    listed = staff_client.get(f"/admin/runs/evaluation/?run__id__exact={run.pk}")
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == run.evaluations.count() > 0
    assert listed.context["cl"].list_per_page == 100
    evaluation = run.evaluations.first()
    shown = staff_client.get(f"/admin/runs/evaluation/{evaluation.pk}/change/")
    assert shown.status_code == 200 and not shown.context["has_change_permission"]
    assert staff_client.post(f"/admin/runs/evaluation/{evaluation.pk}/delete/", {"post": "yes"}).status_code == 403
