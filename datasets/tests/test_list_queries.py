"""The list endpoints read a fixed number of queries, however many rows they list (no query per row)."""

import orjson
import pytest

from runs.tests.helpers import dataset_run, make_dataset


@pytest.fixture(params=[1, 4], ids=["one row", "four rows"])
def filled(request, alice_api, bob_api, acme):
    """Datasets, each with a run and in a collection, some of them bob's shared with the org, so each list item
    has an owner, nested rows and both sharing states."""
    for index in range(request.param):
        client = alice_api if index % 2 == 0 else bob_api
        dataset = make_dataset(client, name=f"set {index}")
        assert dataset_run(client, dataset["id"], is_blocking=True).status_code == 201
        if client is bob_api:
            shared = client.put(f"/api/v1/datasets/{dataset['id']}", {"org_id": acme.pk}, format="json")
            assert shared.status_code == 200
        collection = {"name": f"c{index}", "dataset_ids": [dataset["id"]]}
        created = client.post("/api/v1/data-collections", collection, format="json")
        assert created.status_code == 201
    alice_api.get("/api/v1/datasets")  # the key's last_used_at is now fresh: no UPDATE in the counted requests
    return request.param


def read(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return orjson.loads(b"".join(response.streaming_content) if response.streaming else response.content)


def test_the_collection_list_reads_six_queries(alice_api, filled, django_assert_num_queries):
    # 1 the API key (with its user), 2 the caller's organization (her membership), 3 COUNT of the visible collections,
    # 4 the page of collections with their owners, 5 their visible datasets with owners (one prefetch),
    # 6 their visible runs with owners (one prefetch).
    with django_assert_num_queries(6):
        listed = read(alice_api, "/api/v1/data-collections")
    assert len(listed["items"]) == filled and all(item["datasets"] and item["runs"] for item in listed["items"])


def test_the_dataset_list_reads_five_queries(alice_api, filled, django_assert_num_queries):
    # 1 the API key, 2 the CUSTOM dataset type (the default filter), 3 the caller's organization, 4 COUNT of the
    # visible datasets of that type, 5 the page of datasets with owner and type.
    with django_assert_num_queries(5):
        listed = read(alice_api, "/api/v1/datasets")
    assert len(listed["items"]) == filled


def test_all_partial_reads_three_queries(alice_api, filled, django_assert_num_queries):
    # 1 the API key, 2 the caller's organization, 3 every visible dataset with owner and type, streamed.
    with django_assert_num_queries(3):
        listed = read(alice_api, "/api/v1/datasets/all-partial")
    assert len(listed) == filled
