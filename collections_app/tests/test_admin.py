"""The collection admin writes through the collection services: the API's name rule and sharing cascade hold."""

import pytest

from collections_app.models import DataCollection
from datasets.models import Dataset, DatasetType
from runs.models import Run


def make_dataset(*, name, user=None, org=None, proprietary=False):
    return Dataset.objects.create(
        name=name,
        user=user,
        org=org,
        author_email="someone@acme.test",
        dataset_type=DatasetType.objects.filter(is_proprietary=proprietary).first(),
        selected_metrics={"1": {"threshold": 70, "metric_args": None}},
        structure=["prompt"],
    )


def change(staff_client, collection, **fields):
    data = {"name": collection.name, "org": collection.org_id or "", **fields}
    return staff_client.post(f"/admin/collections_app/datacollection/{collection.pk}/change/", data)


def form_errors(response) -> str:
    assert response.status_code == 200, "a refused change renders the form again"
    return str(response.context["adminform"].form.errors)


def test_an_org_only_collection_name_follows_the_name_rule(staff_client, acme):
    DataCollection.objects.create(name="Reports", org=acme, author_email="x@acme.test")
    response = staff_client.post("/admin/collections_app/datacollection/add/", {"name": "reports", "org": acme.pk})
    assert "already exists in your organization" in form_errors(response)
    response = staff_client.post("/admin/collections_app/datacollection/add/", {"name": "   ", "org": acme.pk})
    assert response.status_code == 200 and DataCollection.objects.count() == 1


def test_staff_make_an_org_only_collection(staff_client, acme):
    response = staff_client.post("/admin/collections_app/datacollection/add/", {"name": " Reports ", "org": acme.pk})
    assert response.status_code == 302, form_errors(response)
    collection = DataCollection.objects.get()
    assert (collection.name, collection.user, collection.org) == ("Reports", None, acme)


def test_an_org_only_collection_needs_an_organization(staff_client, acme):
    response = staff_client.post("/admin/collections_app/datacollection/add/", {"name": "Loose", "org": ""})
    assert "org" in response.context["adminform"].form.errors
    assert not DataCollection.objects.filter(name="Loose").exists()


def test_a_rename_to_a_taken_name_is_refused_case_insensitively(staff_client, alice, team_collection):
    DataCollection.objects.create(name="Other", user=alice, org=team_collection.org, author_email=alice.email)
    assert "already exists" in form_errors(change(staff_client, team_collection, name="OTHER"))
    team_collection.refresh_from_db()
    assert team_collection.name == "Team"


def test_a_rename_is_saved(staff_client, private_collection):
    response = change(staff_client, private_collection, name="  Renamed  ")
    assert response.status_code == 302
    private_collection.refresh_from_db()
    assert private_collection.name == "Renamed"


def test_sharing_a_collection_from_the_admin_cascades_to_its_datasets_and_runs(staff_client, alice, acme):
    collection = DataCollection.objects.create(name="Mine", user=alice, author_email=alice.email)
    dataset = make_dataset(name="In it", user=alice)
    dataset.data_collection = collection
    dataset.save()
    run = Run.objects.create(
        user=alice, author_email=alice.email, run_type=Run.RunType.DATASET, dataset=dataset,
        data_collection=collection, alias="r1", started_at="2026-01-01T00:00Z",
    )  # fmt: skip
    assert change(staff_client, collection, org=acme.pk).status_code == 302
    dataset.refresh_from_db()
    run.refresh_from_db()
    assert (dataset.org_id, run.org_id) == (acme.pk, acme.pk)
    assert change(staff_client, collection, org="").status_code == 302
    dataset.refresh_from_db()
    assert dataset.org_id is None and dataset.data_collection_id == collection.pk


def test_the_owner_rule_holds_a_collection_is_shared_only_with_its_owners_org(staff_client, alice, globex):
    collection = DataCollection.objects.create(name="Mine", user=alice, author_email=alice.email)
    assert "your own organization" in form_errors(change(staff_client, collection, org=globex.pk))
    collection.refresh_from_db()
    assert collection.org_id is None


def test_an_org_only_collection_keeps_its_org(staff_client, acme, globex):
    collection = DataCollection.objects.create(name="Org", org=acme, author_email="x@acme.test")
    assert "cannot be unshared" in form_errors(change(staff_client, collection, org=globex.pk))
    collection.refresh_from_db()
    assert collection.org_id == acme.pk


def test_the_owner_cannot_be_changed_from_the_admin(staff_client, alice, bob, private_collection):
    assert change(staff_client, private_collection, user=bob.pk).status_code == 302
    private_collection.refresh_from_db()
    assert private_collection.user_id == alice.pk


def test_an_org_only_collection_receives_its_orgs_datasets(staff_client, alice, acme, globex):
    collection = DataCollection.objects.create(name="Org", org=acme, author_email="x@acme.test")
    shared = make_dataset(name="Shared", user=alice, org=acme)
    org_only = make_dataset(name="Org only", org=acme)
    run = Run.objects.create(
        user=alice, org=acme, author_email=alice.email, run_type=Run.RunType.DATASET, dataset=shared,
        alias="r1", started_at="2026-01-01T00:00Z",
    )  # fmt: skip
    page = staff_client.get(f"/admin/collections_app/datacollection/{collection.pk}/change/").content.decode()
    assert "Shared" in page and "Org only" in page
    response = change(staff_client, collection, add_datasets=[shared.pk, org_only.pk])
    assert response.status_code == 302
    assert set(collection.datasets.values_list("pk", flat=True)) == {shared.pk, org_only.pk}
    run.refresh_from_db()
    assert run.data_collection_id == collection.pk  # the owner's runs on a dataset follow it


@pytest.mark.parametrize("kind", ["private", "other org", "proprietary", "in another collection"])
def test_an_org_only_collection_is_offered_only_its_orgs_free_datasets(staff_client, alice, acme, globex, kind):
    collection = DataCollection.objects.create(name="Org", org=acme, author_email="x@acme.test")
    other_org = globex if kind == "other org" else acme
    dataset = make_dataset(
        name="x",
        user=alice if kind == "private" else None,
        org=None if kind == "private" else other_org,
        proprietary=kind == "proprietary",
    )
    if kind == "in another collection":
        dataset.data_collection = DataCollection.objects.create(name="Other", org=acme, author_email="x@acme.test")
        dataset.save()
    assert "add_datasets" in form_errors(change(staff_client, collection, add_datasets=[dataset.pk]))
    dataset.refresh_from_db()
    assert dataset.data_collection_id != collection.pk


def test_a_collection_with_an_owner_has_no_dataset_picker(staff_client, private_collection):
    page = staff_client.get(f"/admin/collections_app/datacollection/{private_collection.pk}/change/")
    assert page.status_code == 200 and "add_datasets" not in page.context["adminform"].form.fields
