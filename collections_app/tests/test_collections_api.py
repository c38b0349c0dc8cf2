import pytest

from collections_app.models import DataCollection
from datasets.tests.helpers import body, create


def test_create_makes_a_private_collection_owned_by_the_caller(alice_api, alice):
    response = alice_api.post("/api/v1/data-collections", {"name": "  Support  "}, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["name"] == "Support"
    assert data["user"] == {"id": alice.pk, "email": alice.email}
    assert data["org_id"] is None and data["author_email"] == alice.email
    assert data["datasets"] == [] and data["runs"] == []
    assert data["updated_at"] is None and data["created_at"].endswith("Z")


def test_create_with_an_empty_name_is_400(alice_api):
    assert alice_api.post("/api/v1/data-collections", {"name": "  "}, format="json").status_code == 400
    assert DataCollection.objects.count() == 0


def test_create_without_a_name_is_422(alice_api):
    assert alice_api.post("/api/v1/data-collections", {}, format="json").status_code == 422


def test_duplicate_collection_name_is_400(alice_api):
    alice_api.post("/api/v1/data-collections", {"name": "Same"}, format="json")
    response = alice_api.post("/api/v1/data-collections", {"name": "same"}, format="json")
    assert response.status_code == 400 and "already exists" in response.json()["detail"]


def test_get_lists_only_the_datasets_the_caller_can_see(alice_api, bob_api, team_collection):
    shared = body(create(alice_api, name="Shared set", data_collection_id=str(team_collection.pk)))
    data = bob_api.get(f"/api/v1/data-collections/{team_collection.pk}").json()
    assert [d["id"] for d in data["datasets"]] == [shared["id"]]
    assert list(data["datasets"][0]) == ["id", "name", "user", "org_id", "author_email", "created_at", "updated_at"]


def test_outsider_gets_404(carol_api, team_collection):
    assert carol_api.get(f"/api/v1/data-collections/{team_collection.pk}").status_code == 404


def test_list_with_shared_filter(alice_api, bob_api, bob, team_collection):
    mine = bob_api.post("/api/v1/data-collections", {"name": "Bob's"}, format="json").json()
    assert [c["id"] for c in bob_api.get("/api/v1/data-collections").json()["items"]] == [
        mine["id"],
        team_collection.pk,
    ]
    assert [c["id"] for c in bob_api.get("/api/v1/data-collections", {"shared": "false"}).json()["items"]] == [
        mine["id"]
    ]
    assert [c["id"] for c in bob_api.get("/api/v1/data-collections", {"shared": "true"}).json()["items"]] == [
        team_collection.pk
    ]


def test_shared_true_without_an_org_is_404(dave_api):
    assert dave_api.get("/api/v1/data-collections", {"shared": "true"}).status_code == 404


def test_list_paging_is_validated(alice_api, db):
    assert alice_api.get("/api/v1/data-collections", {"page": 0}).status_code == 422


def test_collection_lists_the_runs_the_caller_can_see(alice_api, bob_api, team_collection):
    from runs.tests.helpers import dataset_run

    dataset = body(create(alice_api, name="In team", data_collection_id=str(team_collection.pk)))
    run = body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    data = bob_api.get(f"/api/v1/data-collections/{team_collection.pk}").json()
    assert [item["id"] for item in data["runs"]] == [run["id"]]
    assert data["runs"][0]["data_collection_id"] == team_collection.pk


@pytest.mark.parametrize("name", ["tab\there", "bell\x07", "line\nbreak"])
def test_collection_names_follow_the_dataset_name_rule(alice_api, name):
    response = alice_api.post("/api/v1/data-collections", {"name": name}, format="json")
    assert response.status_code == 400
    assert "control characters" in response.json()["detail"]
    assert DataCollection.objects.count() == 0


@pytest.mark.parametrize("name", [0, 1.5, True, ["list"], {"an": "object"}])
def test_a_name_that_is_not_a_string_is_422(alice_api, name):
    response = alice_api.post("/api/v1/data-collections", {"name": name}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"] == {"name": ["Not a valid string."]}
