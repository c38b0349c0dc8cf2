import dataclasses
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from collections_app.models import DataCollection
from datasets.models import Dataset
from metrics.models import Metric
from metrics.registry import REGISTRY
from metrics.tests.judged import use_judged_spec, without_provider_keys


def upload(staff_client, org, content=b"prompt,output\nq,a\n", metrics='{"1": {"threshold": 70}}'):
    return staff_client.post(
        "/admin/datasets/dataset/add/",
        {
            "org": org.pk,
            "file": SimpleUploadedFile("org_set.csv", content),
            "selected_metrics_json": metrics,
            "column_mappings_json": "",
            "dataset_name": "",
        },
        follow=True,
    )


def test_staff_create_an_org_only_dataset_through_the_same_service(staff_client, acme, bob_api):
    response = upload(staff_client, acme)
    assert response.status_code == 200
    dataset = Dataset.objects.get()
    assert dataset.user is None and dataset.org == acme
    assert dataset.name == "org_set" and dataset.author_email == "staff@aegis.test"
    assert dataset.records.count() == 1
    shown = bob_api.get(f"/api/v1/datasets/{dataset.pk}")
    assert shown.status_code == 200


def test_admin_upload_errors_are_shown_and_nothing_is_stored(staff_client, acme, monkeypatch):
    without_provider_keys(monkeypatch)  # so metric 24, judged, is inactive whatever the caller's environment
    response = upload(staff_client, acme, content=b"nothing,useful\n1,2\n")
    assert response.status_code == 200
    assert "No record field found" in response.content.decode()
    response = upload(staff_client, acme, metrics=json.dumps({"24": {"threshold": 1}}))
    assert "inactive" in response.content.decode()
    assert Dataset.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/admin/datasets/dataset/",
        "/admin/datasets/dataset/add/",
        "/admin/datasets/record/",
        "/admin/datasets/datasettype/",
        "/admin/collections_app/datacollection/",
        "/admin/collections_app/datacollection/add/",
        "/admin/metrics/metric/",
        "/admin/metrics/metric/1/change/",
        "/admin/runs/run/",
        "/admin/metrics/llmmodel/",
        "/admin/metrics/llmmodel/add/",
        "/admin/metrics/llmmodel/1/change/",
    ],
)
def test_admin_pages_load(staff_client, url):
    assert staff_client.get(url).status_code == 200


def test_dataset_change_page_links_to_its_paginated_records(staff_client, acme):
    upload(staff_client, acme)
    dataset = Dataset.objects.get()
    page = staff_client.get(f"/admin/datasets/dataset/{dataset.pk}/change/").content.decode()
    assert f"?dataset__id__exact={dataset.pk}" in page
    records = staff_client.get(f"/admin/datasets/record/?dataset__id__exact={dataset.pk}")
    assert records.status_code == 200


def test_staff_create_an_org_only_collection(staff_client, acme):
    staff_client.post("/admin/collections_app/datacollection/add/", {"name": "Org folder", "org": acme.pk})
    collection = DataCollection.objects.get()
    assert collection.user is None and collection.org == acme and collection.author_email == "staff@aegis.test"


def test_metrics_without_a_scorer_cannot_be_activated(staff_client, monkeypatch):
    monkeypatch.setitem(REGISTRY, 24, dataclasses.replace(REGISTRY[24], scorer=None, judge_scorer=None))
    Metric.objects.filter(pk=24).update(is_active=False)
    staff_client.post("/admin/metrics/metric/", {"action": "activate", "_selected_action": [1, 24]})
    assert Metric.objects.get(pk=24).is_active is False
    staff_client.post("/admin/metrics/metric/", {"action": "deactivate", "_selected_action": [1]})
    assert Metric.objects.get(pk=1).is_active is False
    staff_client.post("/admin/metrics/metric/", {"action": "activate", "_selected_action": [1]})
    assert Metric.objects.get(pk=1).is_active is True


def test_judged_metrics_can_be_switched_on_by_action_and_form(staff_client, monkeypatch):
    spec = use_judged_spec(monkeypatch)
    Metric.objects.filter(pk=spec.id).update(is_active=False)
    staff_client.post("/admin/metrics/metric/", {"action": "activate", "_selected_action": [spec.id]})
    assert Metric.objects.get(pk=spec.id).is_active is True
    Metric.objects.filter(pk=spec.id).update(is_active=False)
    staff_client.post(f"/admin/metrics/metric/{spec.id}/change/", {"is_active": "on"})
    assert Metric.objects.get(pk=spec.id).is_active is True


def test_a_run_change_page_loads(staff_client, alice_api):
    from runs.models import Run
    from runs.tests.helpers import dataset_run, make_dataset

    dataset_run(alice_api, make_dataset(alice_api)["id"], is_blocking=True)
    assert staff_client.get(f"/admin/runs/run/{Run.objects.get().pk}/change/").status_code == 200


def test_a_dataset_rename_follows_the_name_rule(staff_client, acme):
    upload(staff_client, acme)
    upload(staff_client, acme, metrics='{"1": {"threshold": 70}}')  # a second upload of the same file: a clash
    assert Dataset.objects.count() == 1
    Dataset.objects.create(
        name="Taken", org=acme, author_email="x@acme.test", dataset_type_id=1, selected_metrics={}, structure=[]
    )
    dataset = Dataset.objects.get(name="org_set")
    url = f"/admin/datasets/dataset/{dataset.pk}/change/"
    response = staff_client.post(url, {"name": "TAKEN"})
    assert response.status_code == 200 and "already exists" in str(response.context["adminform"].form.errors)
    assert staff_client.post(url, {"name": "x" * 300}).status_code == 200
    dataset.refresh_from_db()
    assert dataset.name == "org_set"
    assert staff_client.post(url, {"name": "  Renamed "}).status_code == 302
    dataset.refresh_from_db()
    assert dataset.name == "Renamed"


def test_a_dataset_change_form_edits_only_its_name(staff_client, acme, globex):
    upload(staff_client, acme)
    dataset = Dataset.objects.get()
    staff_client.post(f"/admin/datasets/dataset/{dataset.pk}/change/", {"name": "org_set", "org": globex.pk})
    dataset.refresh_from_db()
    assert dataset.org_id == acme.pk


def test_the_request_reaches_the_form_per_request_never_on_the_shared_class(staff_client, acme):
    from datasets.admin import DatasetRenameForm, OrgOnlyDatasetForm

    upload(staff_client, acme)
    staff_client.post(f"/admin/datasets/dataset/{Dataset.objects.get().pk}/change/", {"name": "Renamed"})
    assert Dataset.objects.get().name == "Renamed"
    for form_class in (OrgOnlyDatasetForm, DatasetRenameForm):
        assert form_class.request is None and not hasattr(form_class, "request_user")
