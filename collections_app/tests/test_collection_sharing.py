"""POST with dataset_ids, PUT and DELETE /data-collections: who may share a collection, and what follows it."""

import pytest

from accounts.models import Membership
from collections_app.models import DataCollection
from datasets.models import Dataset, DatasetType
from datasets.tests.helpers import body
from runs.models import Run
from runs.tests.helpers import custom_run, dataset_run, make_dataset

pytestmark = pytest.mark.django_db

ROWS = [{"output": "ok", "golden_answer": "ok"}]


def post(client, **fields):
    return client.post("/api/v1/data-collections", fields, format="json")


def put(client, collection_id, **fields):
    return client.put(f"/api/v1/data-collections/{collection_id}", fields, format="json")


def delete(client, collection_id):
    return client.delete(f"/api/v1/data-collections/{collection_id}")


def state() -> dict:
    """Every sharing-relevant column of every dataset, collection and run: compared before and after a refusal."""
    return {
        "datasets": list(Dataset.objects.order_by("pk").values_list("pk", "name", "org_id", "data_collection_id")),
        "collections": list(DataCollection.objects.order_by("pk").values_list("pk", "name", "org_id", "updated_at")),
        "runs": list(Run.objects.order_by("pk").values_list("pk", "org_id", "data_collection_id", "dataset_id")),
    }


def run_on(client, dataset: dict) -> Run:
    response = dataset_run(client, dataset["id"], is_blocking=True)
    assert response.status_code == 201, body(response)
    return Run.objects.get(pk=body(response)["id"])


def custom_run_in(client, collection: DataCollection) -> Run:
    response = custom_run(
        client,
        is_blocking=True,
        evaluations=[{"metrics": ["exact_match"], "data": ROWS}],
        data_collection_id=collection.pk,
    )
    assert response.status_code == 201, body(response)
    return Run.objects.get(pk=body(response)["id"])


def shared_dataset(client, org, name: str) -> dict:
    dataset = make_dataset(client, name=name)
    response = client.put(f"/api/v1/datasets/{dataset['id']}", {"org_id": org.pk}, format="json")
    assert response.status_code == 200, response.json()
    return dataset


def sharing(model, pk) -> tuple:
    row = model.objects.get(pk=pk)
    return row.org_id, row.data_collection_id


def fresh(*rows):
    for row in rows:
        row.refresh_from_db()
    return rows


@pytest.fixture
def acme_org_only_collection(acme):
    return DataCollection.objects.create(name="Org only", org=acme, author_email="staff@acme.test")


# POST /data-collections with dataset_ids


def test_create_with_private_datasets_is_private_and_their_runs_move_in(alice_api):
    first, second = make_dataset(alice_api, name="First"), make_dataset(alice_api, name="Second")
    runs = [run_on(alice_api, first), run_on(alice_api, second)]
    response = post(alice_api, name="Bundle", dataset_ids=[first["id"], second["id"]])
    assert response.status_code == 201
    data = response.json()
    assert data["org_id"] is None and data["updated_at"] is None
    assert sorted(d["id"] for d in data["datasets"]) == sorted([first["id"], second["id"]])
    assert {sharing(Dataset, d["id"]) for d in (first, second)} == {(None, data["id"])}
    assert [(run.org_id, run.data_collection_id) for run in fresh(*runs)] == [(None, data["id"])] * 2


def test_create_with_only_org_shared_datasets_is_shared(alice_api, bob_api, acme):
    mine, bobs = shared_dataset(alice_api, acme, "Mine"), shared_dataset(bob_api, acme, "Bob's")
    response = post(alice_api, name="Team work", dataset_ids=[mine["id"], bobs["id"]])
    assert response.status_code == 201 and response.json()["org_id"] == acme.pk
    assert sharing(Dataset, bobs["id"]) == (acme.pk, response.json()["id"])
    assert bob_api.get(f"/api/v1/data-collections/{response.json()['id']}").status_code == 200


def test_create_with_a_mix_promotes_my_private_datasets_and_their_runs(alice_api, bob_api, acme):
    mine = make_dataset(alice_api, name="Mine")
    run = run_on(alice_api, mine)
    bobs = shared_dataset(bob_api, acme, "Bob's")
    response = post(alice_api, name="Mixed", dataset_ids=[mine["id"], bobs["id"]])
    assert response.status_code == 201
    collection_id = response.json()["id"]
    assert response.json()["org_id"] == acme.pk
    assert sharing(Dataset, mine["id"]) == (acme.pk, collection_id)
    assert sharing(Run, run.pk) == (acme.pk, collection_id)


def test_create_without_an_org_but_with_an_org_shared_dataset_is_400(alice_api, alice, acme):
    mine = shared_dataset(alice_api, acme, "Still shared")
    Membership.objects.filter(user=alice).delete()  # alice leaves the org; her dataset stays shared with it
    before = state()
    response = post(alice_api, name="Alone", dataset_ids=[mine["id"]])
    assert response.status_code == 400 and "not in an organization" in response.json()["detail"]
    assert state() == before


def test_create_with_an_invisible_dataset_is_404_and_creates_nothing(alice_api, carol_api):
    mine, carols = make_dataset(alice_api, name="Mine"), make_dataset(carol_api, name="Carol's")
    before = state()
    assert post(alice_api, name="Bundle", dataset_ids=[mine["id"], carols["id"]]).status_code == 404
    assert post(alice_api, name="Bundle", dataset_ids=[999999]).status_code == 404
    assert state() == before


def test_create_with_a_proprietary_dataset_is_400(alice_api, alice):
    proprietary = Dataset.objects.create(
        user=alice, author_email=alice.email, dataset_type=DatasetType.objects.get(name="AEGIS_BENCHMARK"), name="B"
    )
    before = state()
    assert post(alice_api, name="Bundle", dataset_ids=[proprietary.pk]).status_code == 400
    assert state() == before


def test_create_with_a_dataset_already_in_a_collection_is_400(alice_api, private_collection):
    taken = make_dataset(alice_api, name="Taken", data_collection_id=str(private_collection.pk))
    before = state()
    response = post(alice_api, name="Bundle", dataset_ids=[taken["id"]])
    assert response.status_code == 400 and "another data collection" in response.json()["detail"]
    assert state() == before


def test_create_shared_with_a_name_taken_in_the_org_is_400(alice_api, bob, acme):
    DataCollection.objects.create(name="Team", user=bob, org=acme, author_email=bob.email)
    mine = shared_dataset(alice_api, acme, "Mine")
    before = state()
    assert post(alice_api, name="TEAM", dataset_ids=[mine["id"]]).status_code == 400
    assert state() == before


def test_create_with_null_or_empty_dataset_ids_is_a_private_collection(alice_api):
    assert post(alice_api, name="Null", dataset_ids=None).json()["org_id"] is None
    assert post(alice_api, name="Empty", dataset_ids=[]).json()["org_id"] is None


@pytest.mark.parametrize("dataset_ids", ["1", [0], ["x"], {"1": 1}])
def test_create_with_malformed_dataset_ids_is_422(alice_api, dataset_ids):
    assert post(alice_api, name="Bad", dataset_ids=dataset_ids).status_code == 422
    assert not DataCollection.objects.exists()


# PUT /data-collections/{id}: name and permissions


def test_owner_renames_a_collection(alice_api, private_collection):
    response = put(alice_api, private_collection.pk, name="  Renamed ")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed" and response.json()["updated_at"].endswith("Z")


def test_renaming_to_a_taken_name_is_400(alice_api, alice, private_collection):
    DataCollection.objects.create(name="Other", user=alice, author_email=alice.email)
    before = state()
    assert put(alice_api, private_collection.pk, name="other").status_code == 400
    assert put(alice_api, private_collection.pk, name=" ").status_code == 400
    assert state() == before


def test_org_member_may_rename_a_shared_collection(bob_api, team_collection):
    assert put(bob_api, team_collection.pk, name="Bob's name").status_code == 200


def test_member_of_other_org_gets_404(carol_api, team_collection):
    assert put(carol_api, team_collection.pk, name="x").status_code == 404
    assert delete(carol_api, team_collection.pk).status_code == 404


def test_org_member_gets_404_for_a_private_collection(bob_api, private_collection):
    assert put(bob_api, private_collection.pk, name="x").status_code == 404


def test_non_owner_member_cannot_change_org_id_403(bob_api, team_collection):
    before = state()
    assert put(bob_api, team_collection.pk, org_id=None).status_code == 403
    assert state() == before


def test_org_only_collection_cannot_be_unshared_403(alice_api, acme_org_only_collection, acme):
    before = state()
    assert put(alice_api, acme_org_only_collection.pk, org_id=None).status_code == 403
    assert state() == before
    assert put(alice_api, acme_org_only_collection.pk, org_id=acme.pk).status_code == 200


def test_sharing_with_another_org_is_400(alice_api, private_collection, globex):
    before = state()
    assert put(alice_api, private_collection.pk, org_id=globex.pk).status_code == 400
    assert state() == before


def test_non_integer_id_is_422_and_anonymous_is_401(alice_api, anon_api, private_collection):
    assert put(alice_api, "abc", name="x").status_code == 422
    assert put(anon_api, private_collection.pk, name="x").status_code == 401
    assert delete(anon_api, private_collection.pk).status_code == 401


# PUT: sharing and unsharing


def test_owner_shares_a_collection_with_its_datasets_and_her_runs(alice_api, bob_api, acme, private_collection):
    first = make_dataset(alice_api, name="First", data_collection_id=str(private_collection.pk))
    second = make_dataset(alice_api, name="Second", data_collection_id=str(private_collection.pk))
    runs = [run_on(alice_api, first), run_on(alice_api, second), custom_run_in(alice_api, private_collection)]

    response = put(alice_api, private_collection.pk, org_id=acme.pk)

    assert response.status_code == 200 and response.json()["org_id"] == acme.pk
    assert {sharing(Dataset, d["id"]) for d in (first, second)} == {(acme.pk, private_collection.pk)}
    assert {(run.org_id, run.data_collection_id) for run in fresh(*runs)} == {(acme.pk, private_collection.pk)}
    assert len(bob_api.get(f"/api/v1/data-collections/{private_collection.pk}").json()["datasets"]) == 2


def test_owner_unshares_a_collection_and_what_others_own_leaves_it(alice_api, bob_api, acme, team_collection):
    mine = make_dataset(alice_api, name="Mine", data_collection_id=str(team_collection.pk))
    bobs = make_dataset(bob_api, name="Bob's", data_collection_id=str(team_collection.pk))
    my_run, my_custom = run_on(alice_api, mine), custom_run_in(alice_api, team_collection)
    bobs_run_on_mine, bobs_run = run_on(bob_api, mine), run_on(bob_api, bobs)

    response = put(alice_api, team_collection.pk, org_id=None)

    assert response.status_code == 200 and response.json()["org_id"] is None
    assert sharing(Dataset, mine["id"]) == (None, team_collection.pk)  # hers: stays, now private
    assert sharing(Dataset, bobs["id"]) == (acme.pk, None)  # Bob's: detached, still shared
    assert sharing(Run, my_run.pk) == (None, team_collection.pk)
    assert sharing(Run, my_custom.pk) == (None, team_collection.pk)
    assert sharing(Run, bobs_run_on_mine.pk) == (acme.pk, None)
    assert sharing(Run, bobs_run.pk) == (acme.pk, None)
    assert bob_api.get(f"/api/v1/data-collections/{team_collection.pk}").status_code == 404


def test_a_cascade_that_hits_a_taken_name_is_400_and_changes_nothing(alice_api, bob_api, acme, private_collection):
    make_dataset(alice_api, name="Clash", data_collection_id=str(private_collection.pk))
    shared_dataset(bob_api, acme, "clash")
    before = state()
    response = put(alice_api, private_collection.pk, org_id=acme.pk)
    assert response.status_code == 400 and "already exists" in response.json()["detail"]
    assert state() == before


# PUT: dataset_ids


def test_dataset_ids_replace_the_whole_set(alice_api, private_collection):
    kept = make_dataset(alice_api, name="Kept", data_collection_id=str(private_collection.pk))
    removed = make_dataset(alice_api, name="Removed", data_collection_id=str(private_collection.pk))
    added = make_dataset(alice_api, name="Added")
    removed_run, added_run = run_on(alice_api, removed), run_on(alice_api, added)

    response = put(alice_api, private_collection.pk, dataset_ids=[kept["id"], added["id"]])

    assert response.status_code == 200
    assert sorted(d["id"] for d in response.json()["datasets"]) == sorted([kept["id"], added["id"]])
    assert sharing(Dataset, removed["id"]) == (None, None)
    assert sharing(Run, removed_run.pk) == (None, None)
    assert sharing(Run, added_run.pk) == (None, private_collection.pk)


def test_empty_dataset_ids_empties_the_collection(alice_api, private_collection):
    dataset = make_dataset(alice_api, name="Only", data_collection_id=str(private_collection.pk))
    assert put(alice_api, private_collection.pk, dataset_ids=[]).json()["datasets"] == []
    assert Dataset.objects.filter(pk=dataset["id"]).exists()


def test_adding_to_a_shared_collection_shares_the_dataset_and_its_runs(alice_api, acme, team_collection):
    added = make_dataset(alice_api, name="Added")
    run = run_on(alice_api, added)
    assert put(alice_api, team_collection.pk, dataset_ids=[added["id"]]).status_code == 200
    assert sharing(Dataset, added["id"]) == (acme.pk, team_collection.pk)
    assert sharing(Run, run.pk) == (acme.pk, team_collection.pk)


def test_adding_my_org_shared_dataset_promotes_my_private_collection(alice_api, acme, private_collection):
    private = make_dataset(alice_api, name="Private", data_collection_id=str(private_collection.pk))
    shared = shared_dataset(alice_api, acme, "Shared")
    run = run_on(alice_api, private)

    response = put(alice_api, private_collection.pk, dataset_ids=[private["id"], shared["id"]])

    assert response.status_code == 200 and response.json()["org_id"] == acme.pk
    assert sharing(Dataset, private["id"]) == (acme.pk, private_collection.pk)
    assert sharing(Run, run.pk) == (acme.pk, private_collection.pk)


def test_adding_someone_elses_dataset_is_400(alice_api, bob_api, acme, team_collection):
    bobs = shared_dataset(bob_api, acme, "Bob's")
    before = state()
    response = put(alice_api, team_collection.pk, dataset_ids=[bobs["id"]])
    assert response.status_code == 400 and "your own" in response.json()["detail"]
    assert state() == before


def test_adding_an_invisible_dataset_is_404_and_changes_nothing(alice_api, carol_api, private_collection):
    kept = make_dataset(alice_api, name="Kept", data_collection_id=str(private_collection.pk))
    carols = make_dataset(carol_api, name="Carol's")
    before = state()
    assert put(alice_api, private_collection.pk, dataset_ids=[kept["id"], carols["id"]], name="New").status_code == 404
    assert state() == before


def test_adding_a_dataset_of_another_collection_is_400(alice_api, alice, private_collection):
    other = DataCollection.objects.create(name="Other", user=alice, author_email=alice.email)
    elsewhere = make_dataset(alice_api, name="Elsewhere", data_collection_id=str(other.pk))
    before = state()
    assert put(alice_api, private_collection.pk, dataset_ids=[elsewhere["id"]]).status_code == 400
    assert state() == before


# DELETE /data-collections/{id}


def test_owner_deletes_a_collection_and_its_datasets_and_runs_stay_detached(alice_api, acme, team_collection):
    dataset = make_dataset(alice_api, name="Inside", data_collection_id=str(team_collection.pk))
    runs = [run_on(alice_api, dataset), custom_run_in(alice_api, team_collection)]
    response = delete(alice_api, team_collection.pk)
    assert response.status_code == 204 and response.content == b""
    assert not DataCollection.objects.filter(pk=team_collection.pk).exists()
    assert sharing(Dataset, dataset["id"]) == (acme.pk, None)
    assert [(run.org_id, run.data_collection_id) for run in fresh(*runs)] == [(acme.pk, None)] * 2


def test_org_member_cannot_delete_a_shared_collection_403(bob_api, team_collection):
    before = state()
    assert delete(bob_api, team_collection.pk).status_code == 403
    assert state() == before


def test_org_admin_deletes_an_org_only_collection(alice_api, acme_org_only_collection):
    assert delete(alice_api, acme_org_only_collection.pk).status_code == 204
    assert not DataCollection.objects.filter(pk=acme_org_only_collection.pk).exists()


def test_org_member_cannot_delete_an_org_only_collection_403(bob_api, acme_org_only_collection):
    assert delete(bob_api, acme_org_only_collection.pk).status_code == 403
    assert DataCollection.objects.filter(pk=acme_org_only_collection.pk).exists()
