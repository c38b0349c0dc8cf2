"""PUT and DELETE /datasets/{id}: who may change what, the sharing cascades, and that a refusal changes nothing."""

import pytest

from accounts import ownership
from collections_app.models import DataCollection
from datasets.models import Dataset, DatasetType, Record
from datasets.tests.helpers import body, create
from runs.models import Evaluation, Run
from runs.tests.helpers import dataset_run, make_dataset

pytestmark = pytest.mark.django_db


def put(client, dataset_id, **fields):
    return client.put(f"/api/v1/datasets/{dataset_id}", fields, format="json")


def delete(client, dataset_id):
    return client.delete(f"/api/v1/datasets/{dataset_id}")


def state() -> dict:
    """Every sharing-relevant column of every dataset, collection and run: compared before and after a refusal."""
    return {
        "datasets": list(
            Dataset.objects.order_by("pk").values_list(
                "pk", "name", "org_id", "data_collection_id", "selected_metrics", "column_mappings", "updated_at"
            )
        ),
        "collections": list(DataCollection.objects.order_by("pk").values_list("pk", "name", "org_id", "updated_at")),
        "runs": list(Run.objects.order_by("pk").values_list("pk", "org_id", "data_collection_id", "dataset_id")),
        "records": Record.objects.count(),
    }


def run_on(client, dataset: dict) -> Run:
    response = dataset_run(client, dataset["id"], is_blocking=True)
    assert response.status_code == 201, body(response)
    return Run.objects.get(pk=body(response)["id"])


def dataset_row(dataset: dict) -> Dataset:
    return Dataset.objects.get(pk=dataset["id"])


@pytest.fixture
def alice_private(alice_api):
    return make_dataset(alice_api, name="Alice private")


@pytest.fixture
def alice_shared(alice_api, team_collection):
    return make_dataset(alice_api, name="Alice shared", data_collection_id=str(team_collection.pk))


@pytest.fixture
def alice_proprietary(alice):
    dataset = Dataset.objects.create(
        user=alice,
        author_email=alice.email,
        dataset_type=DatasetType.objects.get(name="AEGIS_BENCHMARK"),
        name="Benchmark",
        selected_metrics={"1": {"threshold": 70, "metric_args": None}},
    )
    return {"id": dataset.pk}


# Plain field updates


def test_owner_renames_a_dataset_and_gets_the_summary(alice_api, alice_private):
    response = put(alice_api, alice_private["id"], name="  Renamed  ")
    assert response.status_code == 200
    data = response.json()
    assert data["name"] == "Renamed"
    assert data["updated_at"].endswith("Z")
    assert "records" not in data and data["dataset_type"]["name"] == "CUSTOM"
    assert list(data) == list(body(alice_api.get("/api/v1/datasets")).get("items")[0])
    assert dataset_row(alice_private).name == "Renamed"


def test_only_the_sent_fields_change(alice_api, alice_private):
    before = dataset_row(alice_private)
    put(alice_api, alice_private["id"], column_mappings=None)
    after = dataset_row(alice_private)
    assert (after.name, after.selected_metrics, after.org_id) == (before.name, before.selected_metrics, None)


def test_legacy_selected_metrics_shorthand_is_stored_in_object_form(alice_api, alice_private):
    response = put(alice_api, alice_private["id"], selected_metrics={"1": 55})
    assert response.status_code == 200
    assert response.json()["selected_metrics"] == {"1": {"threshold": 55, "metric_args": None}}
    assert dataset_row(alice_private).selected_metrics == {"1": {"threshold": 55, "metric_args": None}}


@pytest.mark.parametrize(
    "selected_metrics",
    [{}, {"999": {"threshold": 70, "metric_args": None}}, {"1": {"threshold": 101}}, "not an object"],
)
def test_invalid_selected_metrics_are_400_and_change_nothing(alice_api, alice_private, selected_metrics):
    before = state()
    response = put(alice_api, alice_private["id"], selected_metrics=selected_metrics)
    assert response.status_code == 400
    assert "selected_metrics" in response.json()["errors"]
    assert state() == before


def test_column_mappings_are_stored_as_metadata_without_rereading_records(alice_api, alice_private):
    records_before = list(Record.objects.filter(dataset_id=alice_private["id"]).values_list("prompt", "output"))
    response = put(alice_api, alice_private["id"], column_mappings={"prompt": "question"})
    assert response.status_code == 200
    assert response.json()["column_mappings"] == {"prompt": "question"}
    assert list(Record.objects.filter(dataset_id=alice_private["id"]).values_list("prompt", "output")) == records_before
    assert put(alice_api, alice_private["id"], column_mappings=None).json()["column_mappings"] is None


@pytest.mark.parametrize("column_mappings", [{"not_a_field": "x"}, {"prompt": ""}, ["prompt"]])
def test_invalid_column_mappings_are_400(alice_api, alice_private, column_mappings):
    before = state()
    assert put(alice_api, alice_private["id"], column_mappings=column_mappings).status_code == 400
    assert state() == before


def test_duplicate_name_is_400_whatever_the_case(alice_api, alice_private):
    make_dataset(alice_api, name="Taken")
    before = state()
    response = put(alice_api, alice_private["id"], name="TAKEN")
    assert response.status_code == 400 and "already exists" in response.json()["detail"]
    assert state() == before


def test_duplicate_name_found_only_by_the_database_is_still_400(alice_api, alice_private, monkeypatch):
    make_dataset(alice_api, name="Taken")
    monkeypatch.setattr(ownership, "check_name_free", lambda **kwargs: None)  # the race: the pre-check saw no twin
    before = state()
    assert put(alice_api, alice_private["id"], name="taken").status_code == 400
    assert state() == before


def test_keeping_its_own_name_is_not_a_duplicate(alice_api, alice_private):
    assert put(alice_api, alice_private["id"], name="alice PRIVATE").status_code == 200


def test_empty_name_is_400(alice_api, alice_private):
    assert put(alice_api, alice_private["id"], name="  ").status_code == 400


@pytest.mark.parametrize(
    "fields",
    [{"name": None}, {"name": ["x"]}, {"org_id": "acme"}, {"data_collection_id": 0}, {"selected_metrics": None}],
)
def test_wrong_types_are_422(alice_api, alice_private, fields):
    before = state()
    assert put(alice_api, alice_private["id"], **fields).status_code == 422
    assert state() == before


def test_non_integer_id_is_422(alice_api):
    assert put(alice_api, "abc", name="x").status_code == 422


def test_anonymous_caller_gets_401(anon_api, alice_private):
    assert put(anon_api, alice_private["id"], name="x").status_code == 401
    assert delete(anon_api, alice_private["id"]).status_code == 401


def test_form_encoded_body_is_415(alice_api, alice_private):
    response = alice_api.put(f"/api/v1/datasets/{alice_private['id']}", {"name": "x"}, format="multipart")
    assert response.status_code == 415


# Who may update


def test_member_of_other_org_gets_404(carol_api, alice_shared):
    assert put(carol_api, alice_shared["id"], name="x").status_code == 404


def test_org_member_gets_404_for_a_private_dataset(bob_api, alice_private):
    assert put(bob_api, alice_private["id"], name="x").status_code == 404


def test_org_member_may_edit_a_shared_dataset(bob_api, alice_shared):
    response = put(bob_api, alice_shared["id"], name="Edited by Bob", selected_metrics={"1": 60})
    assert response.status_code == 200
    assert dataset_row(alice_shared).name == "Edited by Bob"


def test_non_owner_member_cannot_change_org_id_403(bob_api, alice_shared):
    before = state()
    assert put(bob_api, alice_shared["id"], org_id=None, data_collection_id=None).status_code == 403
    assert state() == before


def test_non_owner_member_may_resend_the_current_org_id(bob_api, alice_shared, acme):
    assert put(bob_api, alice_shared["id"], org_id=acme.pk, name="Same org").status_code == 200


def test_member_may_resend_the_org_id_of_an_org_only_dataset(bob_api, acme_org_only, acme):
    response = put(bob_api, acme_org_only["id"], org_id=acme.pk, name="Renamed org only")
    assert response.status_code == 200
    assert response.json()["user"] is None and response.json()["org_id"] == acme.pk


def test_org_only_dataset_cannot_be_unshared_even_by_an_admin_403(alice_api, acme_org_only):
    before = state()
    assert put(alice_api, acme_org_only["id"], org_id=None).status_code == 403
    assert state() == before


# Sharing and unsharing


def test_owner_shares_a_private_dataset_and_her_runs_follow(alice_api, bob_api, alice_private, acme):
    run = run_on(alice_api, alice_private)
    response = put(alice_api, alice_private["id"], org_id=acme.pk)
    assert response.status_code == 200 and response.json()["org_id"] == acme.pk
    assert dataset_row(alice_private).org_id == acme.pk
    run.refresh_from_db()
    assert run.org_id == acme.pk
    assert bob_api.get(f"/api/v1/datasets/{alice_private['id']}").status_code == 200


def test_sharing_with_another_org_is_400(alice_api, alice_private, globex):
    before = state()
    assert put(alice_api, alice_private["id"], org_id=globex.pk).status_code == 400
    assert state() == before


def test_owner_without_an_org_cannot_share_400(dave_api, acme):
    dataset = make_dataset(dave_api, name="Dave's")
    assert put(dave_api, dataset["id"], org_id=acme.pk).status_code == 400
    assert dataset_row(dataset).org_id is None


def test_sharing_a_dataset_in_my_private_collection_shares_the_collection_its_datasets_and_my_runs(
    alice_api, acme, private_collection
):
    first = make_dataset(alice_api, name="First", data_collection_id=str(private_collection.pk))
    second = make_dataset(alice_api, name="Second", data_collection_id=str(private_collection.pk))
    outside = make_dataset(alice_api, name="Outside")
    runs = [run_on(alice_api, first), run_on(alice_api, second), run_on(alice_api, outside)]

    assert put(alice_api, first["id"], org_id=acme.pk).status_code == 200

    private_collection.refresh_from_db()
    assert private_collection.org_id == acme.pk and private_collection.updated_at is not None
    assert dataset_row(first).org_id == acme.pk and dataset_row(second).org_id == acme.pk
    assert dataset_row(outside).org_id is None
    for run in runs:
        run.refresh_from_db()
    assert [(run.org_id, run.data_collection_id) for run in runs] == [
        (acme.pk, private_collection.pk),
        (acme.pk, private_collection.pk),
        (None, None),
    ]


def test_a_cascade_that_hits_a_taken_name_is_400_and_changes_nothing(alice_api, bob_api, acme, private_collection):
    first = make_dataset(alice_api, name="First", data_collection_id=str(private_collection.pk))
    make_dataset(alice_api, name="Clash", data_collection_id=str(private_collection.pk))
    bobs = make_dataset(bob_api, name="clash")
    assert put(bob_api, bobs["id"], org_id=acme.pk).status_code == 200
    run_on(alice_api, first)
    before = state()
    response = put(alice_api, first["id"], org_id=acme.pk)
    assert response.status_code == 400 and "already exists" in response.json()["detail"]
    assert state() == before


def test_sharing_into_an_org_that_has_the_name_is_400(alice_api, bob_api, acme, alice_private):
    bobs = make_dataset(bob_api, name="alice private")
    put(bob_api, bobs["id"], org_id=acme.pk)
    before = state()
    assert put(alice_api, alice_private["id"], org_id=acme.pk).status_code == 400
    assert state() == before


def test_unshare_inside_an_org_shared_collection_is_400_and_changes_nothing(alice_api, alice_shared):
    run_on(alice_api, alice_shared)
    before = state()
    response = put(alice_api, alice_shared["id"], org_id=None)
    assert response.status_code == 400 and "data_collection_id" in response.json()["detail"]
    assert state() == before


def test_unshare_with_data_collection_null_detaches_and_unshares_with_the_runs(alice_api, bob_api, alice_shared):
    mine = run_on(alice_api, alice_shared)
    bobs = run_on(bob_api, alice_shared)
    response = put(alice_api, alice_shared["id"], org_id=None, data_collection_id=None)
    assert response.status_code == 200
    assert (response.json()["org_id"], response.json()["data_collection_id"]) == (None, None)
    mine.refresh_from_db()
    assert (mine.org_id, mine.data_collection_id) == (None, None)
    # Bob's run is his own: the owner's unsharing does not move it.
    team_collection_id, acme_id = bobs.data_collection_id, bobs.org_id
    bobs.refresh_from_db()
    assert (bobs.org_id, bobs.data_collection_id) == (acme_id, team_collection_id)


def test_proprietary_dataset_cannot_be_shared_400(alice_api, alice_proprietary, acme):
    before = state()
    assert put(alice_api, alice_proprietary["id"], org_id=acme.pk).status_code == 400
    assert state() == before


def test_member_may_resend_the_org_id_of_an_org_only_proprietary_dataset(bob_api, acme):
    catalog = Dataset.objects.create(
        org=acme, author_email="staff@acme.test", dataset_type=DatasetType.objects.get(name="AEGIS_BENCHMARK"), name="C"
    )
    assert put(bob_api, catalog.pk, org_id=acme.pk, name="Catalog").status_code == 200


def test_proprietary_dataset_cannot_be_attached_400(alice_api, alice_proprietary, private_collection):
    before = state()
    assert put(alice_api, alice_proprietary["id"], data_collection_id=private_collection.pk).status_code == 400
    assert state() == before


# Moving between collections


def test_linking_to_an_org_shared_collection_shares_the_dataset_and_runs_follow(
    alice_api, alice_private, team_collection, acme
):
    run = run_on(alice_api, alice_private)
    response = put(alice_api, alice_private["id"], data_collection_id=team_collection.pk)
    assert response.status_code == 200
    assert (response.json()["org_id"], response.json()["data_collection_id"]) == (acme.pk, team_collection.pk)
    run.refresh_from_db()
    assert (run.org_id, run.data_collection_id) == (acme.pk, team_collection.pk)


def test_linking_to_a_private_collection_keeps_org_id(alice_api, alice_shared, private_collection, acme):
    run = run_on(alice_api, alice_shared)
    response = put(alice_api, alice_shared["id"], data_collection_id=private_collection.pk)
    assert response.status_code == 200
    assert (response.json()["org_id"], response.json()["data_collection_id"]) == (acme.pk, private_collection.pk)
    run.refresh_from_db()
    assert (run.org_id, run.data_collection_id) == (acme.pk, private_collection.pk)
    # The private collection itself is not shared by this.
    private_collection.refresh_from_db()
    assert private_collection.org_id is None


def test_null_collection_detaches_and_keeps_org_id(alice_api, alice_shared, acme):
    run = run_on(alice_api, alice_shared)
    response = put(alice_api, alice_shared["id"], data_collection_id=None)
    assert (response.json()["org_id"], response.json()["data_collection_id"]) == (acme.pk, None)
    run.refresh_from_db()
    assert (run.org_id, run.data_collection_id) == (acme.pk, None)


def test_org_id_differing_from_the_target_collection_is_400(alice_api, alice_private, team_collection):
    before = state()
    response = put(alice_api, alice_private["id"], data_collection_id=team_collection.pk, org_id=None)
    assert response.status_code == 400
    assert state() == before


@pytest.mark.parametrize("owner", ["bob", "carol"])
def test_a_collection_the_caller_cannot_use_is_400(request, alice_api, alice_private, owner):
    user = request.getfixturevalue(owner)
    invisible = DataCollection.objects.create(name="Theirs", user=user, author_email=user.email)
    before = state()
    response = put(alice_api, alice_private["id"], data_collection_id=invisible.pk)
    assert response.status_code == 400 and "not found" in response.json()["detail"]
    assert state() == before


def test_an_unknown_collection_is_400(alice_api, alice_private):
    assert put(alice_api, alice_private["id"], data_collection_id=999999).status_code == 400


# DELETE


def test_owner_deletes_a_dataset_its_records_go_and_its_runs_stay(alice_api, alice_private):
    run = run_on(alice_api, alice_private)
    assert Evaluation.objects.filter(run=run, record__isnull=False).exists()
    response = delete(alice_api, alice_private["id"])
    assert response.status_code == 204 and response.content == b""
    assert not Dataset.objects.filter(pk=alice_private["id"]).exists()
    assert not Record.objects.filter(dataset_id=alice_private["id"]).exists()
    run.refresh_from_db()
    assert run.dataset_id is None
    assert not Evaluation.objects.filter(run=run, record__isnull=False).exists()
    assert alice_api.get(f"/api/v1/runs/{run.pk}").status_code == 200
    assert alice_api.get(f"/api/v1/datasets/{alice_private['id']}").status_code == 404


def test_deleting_one_dataset_leaves_the_others_records(alice_api, alice_private):
    other = make_dataset(alice_api, name="Other")
    delete(alice_api, alice_private["id"])
    assert Record.objects.filter(dataset_id=other["id"]).count() == 3


def test_org_member_cannot_delete_a_shared_dataset_403(bob_api, alice_shared):
    before = state()
    assert delete(bob_api, alice_shared["id"]).status_code == 403
    assert state() == before


def test_org_admin_cannot_delete_a_members_shared_dataset_403(alice_api, bob_api, acme):
    bobs = body(create(bob_api, name="Bob's"))
    put(bob_api, bobs["id"], org_id=acme.pk)
    assert delete(alice_api, bobs["id"]).status_code == 403


def test_outsider_delete_is_404(carol_api, alice_shared, alice_private):
    before = state()
    assert delete(carol_api, alice_shared["id"]).status_code == 404
    assert delete(carol_api, alice_private["id"]).status_code == 404
    assert state() == before


def test_org_admin_deletes_an_org_only_dataset(alice_api, acme_org_only):
    assert delete(alice_api, acme_org_only["id"]).status_code == 204
    assert not Dataset.objects.filter(pk=acme_org_only["id"]).exists()


def test_org_member_cannot_delete_an_org_only_dataset_403(bob_api, acme_org_only):
    assert delete(bob_api, acme_org_only["id"]).status_code == 403
    assert Dataset.objects.filter(pk=acme_org_only["id"]).exists()
