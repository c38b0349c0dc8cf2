import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aegis.testing import requires_postgres
from datasets import representation
from datasets.models import Dataset, DatasetType
from datasets.serializers import DatasetOut, DatasetSummaryOut, RecordOut
from datasets.tests.helpers import body, create


@pytest.fixture
def alice_private(alice_api):
    return body(create(alice_api, name="Alice private", content=b"prompt\none\ntwo\nthree\n"))


@pytest.fixture
def alice_shared(alice_api, team_collection):
    return body(create(alice_api, name="Alice shared", data_collection_id=str(team_collection.pk)))


# GET /datasets/{id}


def test_owner_reads_the_full_dataset(alice_api, alice_private):
    response = alice_api.get(f"/api/v1/datasets/{alice_private['id']}")
    assert response.status_code == 200
    assert body(response) == alice_private


def test_org_member_reads_a_shared_dataset(bob_api, alice_shared):
    assert bob_api.get(f"/api/v1/datasets/{alice_shared['id']}").status_code == 200


def test_org_member_reads_an_org_only_dataset_with_null_user(bob_api, acme_org_only):
    data = body(bob_api.get(f"/api/v1/datasets/{acme_org_only['id']}"))
    assert data["user"] is None and data["records"] == []


def test_org_member_cannot_see_a_colleagues_private_dataset(bob_api, alice_private):
    response = bob_api.get(f"/api/v1/datasets/{alice_private['id']}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Dataset {alice_private['id']} not found."}


def test_member_of_another_org_gets_404(carol_api, alice_shared, acme_org_only):
    assert carol_api.get(f"/api/v1/datasets/{alice_shared['id']}").status_code == 404
    assert carol_api.get(f"/api/v1/datasets/{acme_org_only['id']}").status_code == 404


def test_non_integer_id_is_422(alice_api, db):
    assert alice_api.get("/api/v1/datasets/abc").status_code == 422


def test_reading_a_dataset_takes_the_same_queries_whatever_its_size(alice_api):
    small = body(create(alice_api, name="small", content=b"prompt\n" + b"x\n" * 3))
    large = body(create(alice_api, name="large", content=b"prompt\n" + b"x\n" * 3000))
    counts = []
    for dataset in (small, large):
        with CaptureQueriesContext(connection) as captured:
            assert len(body(alice_api.get(f"/api/v1/datasets/{dataset['id']}"))["records"]) in (3, 3000)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_detail_queries_are_pinned(alice_api, alice_private, django_assert_num_queries):
    # 1 API key by prefix, 2 the caller's org, 3 the dataset with owner and type, 4 its visible runs,
    # 5 their evaluations, 6 its records (on PostgreSQL the records come through COPY, which Django's query
    # log does not see).
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 6):
        body(alice_api.get(f"/api/v1/datasets/{alice_private['id']}"))


def test_prefer_minimal_on_get(alice_api, alice_private):
    response = alice_api.get(f"/api/v1/datasets/{alice_private['id']}", HTTP_PREFER="return=minimal")
    assert response["Preference-Applied"] == "return=minimal"
    data = body(response)
    assert data["record_count"] == 3 and "records" not in data


def test_streamed_shape_matches_the_documented_serializers(alice_api, alice_private):
    full = body(alice_api.get(f"/api/v1/datasets/{alice_private['id']}"))
    documented = [name for name in DatasetOut.Meta.fields if name != "record_count"]
    assert list(full) == documented
    assert list(full["records"][0]) == list(RecordOut().fields)
    listed = body(alice_api.get("/api/v1/datasets"))["items"][0]
    assert list(listed) == DatasetSummaryOut.Meta.fields


# GET /datasets/{id}/records


def test_records_are_paged_in_id_order(alice_api, alice_private):
    url = f"/api/v1/datasets/{alice_private['id']}/records"
    data = body(alice_api.get(url, {"page_size": 2}))
    assert [r["prompt"] for r in data["items"]] == ["one", "two"]
    assert data["meta"]["total_items"] == 3 and data["meta"]["has_next"] is True
    second = body(alice_api.get(url, {"page_size": 2, "page": 2}))
    assert [r["prompt"] for r in second["items"]] == ["three"]


def test_records_keyset_paging_with_after_id(alice_api, alice_private):
    url = f"/api/v1/datasets/{alice_private['id']}/records"
    first = body(alice_api.get(url, {"page_size": 1}))["items"][0]
    rest = body(alice_api.get(url, {"after_id": first["id"]}))
    assert [r["prompt"] for r in rest["items"]] == ["two", "three"]


def test_records_of_an_invisible_dataset_are_404(carol_api, alice_private):
    assert carol_api.get(f"/api/v1/datasets/{alice_private['id']}/records").status_code == 404


# GET /datasets


def test_list_shows_visible_custom_datasets_newest_first(bob_api, alice_shared, acme_org_only, bob):
    mine = body(create(bob_api, name="Bob's"))
    data = body(bob_api.get("/api/v1/datasets"))
    assert [item["id"] for item in data["items"]] == [mine["id"], acme_org_only["id"], alice_shared["id"]]
    assert "records" not in data["items"][0]
    assert data["meta"]["total_items"] == 3


def test_list_shared_filter(bob_api, alice_shared, acme_org_only):
    mine = body(create(bob_api, name="Bob's"))
    owned = body(bob_api.get("/api/v1/datasets", {"shared": "false"}))
    shared = body(bob_api.get("/api/v1/datasets", {"shared": "true"}))
    assert [item["id"] for item in owned["items"]] == [mine["id"]]
    assert {item["id"] for item in shared["items"]} == {alice_shared["id"], acme_org_only["id"]}


def test_list_shared_true_without_an_org_is_empty(dave_api, db):
    assert body(dave_api.get("/api/v1/datasets", {"shared": "true"}))["items"] == []


def test_list_search_is_case_insensitive_on_the_name(alice_api, alice_private, alice_shared):
    data = body(alice_api.get("/api/v1/datasets", {"search": "PRIVATE"}))
    assert [item["id"] for item in data["items"]] == [alice_private["id"]]


def test_list_search_longer_than_255_is_422(alice_api, db):
    assert alice_api.get("/api/v1/datasets", {"search": "x" * 256}).status_code == 422


def test_list_by_dataset_type(alice_api, alice_private):
    assert body(alice_api.get("/api/v1/datasets", {"dataset_type_id": 2}))["items"] == []
    assert len(body(alice_api.get("/api/v1/datasets", {"dataset_type_id": 1}))["items"]) == 1


def test_list_unknown_dataset_type_is_404(alice_api, db):
    assert alice_api.get("/api/v1/datasets", {"dataset_type_id": 999}).status_code == 404


def test_list_paging(alice_api, db):
    for index in range(3):
        create(alice_api, name=f"set {index}")
    data = body(alice_api.get("/api/v1/datasets", {"page_size": 2, "page": 2}))
    assert [item["name"] for item in data["items"]] == ["set 0"]
    assert data["meta"]["total_pages"] == 2
    assert alice_api.get("/api/v1/datasets", {"page_size": 0}).status_code == 422


# GET /datasets/all-partial


def test_all_partial_lists_visible_non_proprietary_datasets(bob_api, acme, alice_shared, acme_org_only, alice_private):
    Dataset.objects.create(
        org=acme,
        author_email="x@acme.test",
        dataset_type=DatasetType.objects.get(name="AEGIS_BENCHMARK"),
        name="Benchmark",
    )
    data = bob_api.get("/api/v1/datasets/all-partial").json()
    assert [item["id"] for item in data] == [acme_org_only["id"], alice_shared["id"]]
    assert list(data[1]) == ["id", "name", "user", "org_id", "author_email", "created_at", "updated_at"]
    assert data[1]["user"]["email"] == "alice@acme.test"
    assert data[0]["user"] is None


def test_all_partial_shared_false_is_only_mine(alice_api, alice_shared, alice_private, acme_org_only):
    data = alice_api.get("/api/v1/datasets/all-partial", {"shared": "false"}).json()
    assert {item["id"] for item in data} == {alice_shared["id"], alice_private["id"]}


def test_dataset_types_are_listed(alice_api):
    assert alice_api.get("/api/v1/dataset-types").json()[0] == {
        "id": 1,
        "name": "CUSTOM",
        "label": "Custom",
        "description": None,
    }


@requires_postgres
def test_postgres_renders_records_exactly_like_the_python_path(alice_api):
    content = (
        b"prompt,input,context,output,golden_answer\n"
        b'"quote "" and \\\\ backslash","tab\there","\xe2\x80\xa8 line sep","multi\nline",\n'
        + b"x,,,,\xf0\x9f\x98\x80\n"
        * 2500
    )
    dataset = body(create(alice_api, content=content))
    from_postgres = b",".join(representation._record_json_postgres(dataset["id"]))
    from_python = b",".join(representation.dumps(record) for record in representation.dataset_records(dataset["id"]))
    assert orjson.loads(b"[" + from_postgres + b"]") == orjson.loads(b"[" + from_python + b"]")
    assert len(orjson.loads(b"[" + from_postgres + b"]")) == 2501


def test_record_count_is_stored_with_the_dataset(alice_api, alice_private):
    assert Dataset.objects.get(pk=alice_private["id"]).record_count == 3
