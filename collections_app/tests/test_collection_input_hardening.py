"""Collection writes refuse NUL and deep bodies with a 422 naming where, and store nothing."""

import pytest

from collections_app.models import DataCollection

NUL_MESSAGE = "must not contain U+0000 (NUL) or an unpaired surrogate: the database cannot store them."


def post_raw(client, text: str):
    return client.post("/api/v1/data-collections", data=text, content_type="application/json")


@pytest.mark.parametrize("depth", [65, 100_000])
def test_a_body_nested_too_deep_is_422_not_500(alice_api, depth):
    response = post_raw(alice_api, '{"name": "n", "dataset_ids": ' + "[" * depth + "]" * depth + "}")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["dataset_ids" + ".0" * 63]
    assert not DataCollection.objects.exists()


def test_nul_in_the_name_is_422_naming_it(alice_api):
    response = alice_api.post("/api/v1/data-collections", {"name": "a\x00b"}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"] == {"name": [NUL_MESSAGE]}
    assert not DataCollection.objects.exists()


def test_nul_in_a_new_name_is_422_and_changes_nothing(alice_api, private_collection):
    response = alice_api.put(f"/api/v1/data-collections/{private_collection.pk}", {"name": "\x00"}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"] == {"name": [NUL_MESSAGE]}
    private_collection.refresh_from_db()
    assert private_collection.name == "Mine" and private_collection.updated_at is None


def test_a_deep_body_on_update_is_422_and_changes_nothing(alice_api, private_collection):
    text = '{"dataset_ids": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = alice_api.put(
        f"/api/v1/data-collections/{private_collection.pk}", data=text, content_type="application/json"
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["dataset_ids" + ".0" * 63]
    private_collection.refresh_from_db()
    assert private_collection.updated_at is None


def test_a_name_over_255_characters_is_the_name_rules_400_as_for_a_dataset(alice_api, private_collection):
    """One name rule for collections and datasets: a name that is too long is a 400 naming the field."""
    created = alice_api.post("/api/v1/data-collections", {"name": "x" * 256}, format="json")
    renamed = alice_api.put(f"/api/v1/data-collections/{private_collection.pk}", {"name": "x" * 256}, format="json")
    for response in (created, renamed):
        assert response.status_code == 400
        assert response.json()["errors"] == {"name": ["name must be at most 255 characters"]}
    assert list(DataCollection.objects.values_list("name", flat=True)) == ["Mine"]
