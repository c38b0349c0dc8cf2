import json

import pytest

from collections_app.models import DataCollection
from datasets.models import Dataset, DatasetType, Record
from datasets.tests.helpers import BASIC_CSV, METRICS, body, create, csv_file
from metrics.tests.judged import without_provider_keys


def assert_nothing_stored():
    assert Dataset.objects.count() == 0
    assert Record.objects.count() == 0


def assert_error(response, status: int, *fragments: str):
    assert response.status_code == status, body(response)
    payload = body(response)
    assert isinstance(payload["detail"], str)
    text = json.dumps(payload)
    for fragment in fragments:
        assert fragment in text, (fragment, payload)
    assert set(payload) <= {"detail", "errors"} and payload["detail"].strip() and "\n" not in payload["detail"]


# The spec's example, end to end.


def test_spec_example_returns_201_with_the_exact_shape(alice_api, alice):
    response = create(alice_api, name="My evaluation set")
    assert response.status_code == 201
    data = body(response)
    assert list(data) == [
        "id", "user", "dataset_type_id", "author_email", "name", "selected_metrics", "structure",
        "column_mappings", "data_collection_id", "org_id", "created_at", "updated_at", "dataset_type",
        "baseline_run_id", "version", "versions",  # additions to the spec's shape (baselines, versions)
        "records", "runs", "evaluations",
    ]  # fmt: skip
    assert data["user"] == {"id": alice.pk, "email": "alice@acme.test"}
    assert data["author_email"] == "alice@acme.test"
    assert data["name"] == "My evaluation set"
    assert data["selected_metrics"] == METRICS
    assert data["structure"] == ["prompt", "output", "golden_answer"]
    assert data["column_mappings"] is None
    assert data["data_collection_id"] is None
    assert data["org_id"] is None
    assert data["updated_at"] is None
    assert data["created_at"].endswith("Z") and len(data["created_at"]) == 20
    assert data["dataset_type_id"] == 1
    assert data["dataset_type"] == {"id": 1, "name": "CUSTOM", "label": "Custom", "description": None}
    assert data["runs"] == [] and data["evaluations"] == []
    [record] = data["records"]
    assert list(record) == [
        "id", "user_id", "dataset_id", "prompt", "input", "context", "output", "golden_answer", "created_at",
        "updated_at",
    ]  # fmt: skip
    assert record["user_id"] == alice.pk
    assert record["dataset_id"] == data["id"]
    assert record["prompt"] == "What is the refund policy?"
    assert record["input"] is None and record["context"] is None
    assert record["output"] == "Refunds are available within 30 days."
    assert record["golden_answer"] == "30-day refund window."
    assert record["created_at"].endswith("Z")
    assert record["updated_at"] is None


def test_created_dataset_is_stored_private_and_custom(alice_api, alice):
    create(alice_api)
    dataset = Dataset.objects.get()
    assert dataset.user == alice and dataset.org is None
    assert dataset.dataset_type.name == "CUSTOM"
    assert dataset.records.count() == 1


def test_records_keep_file_order_and_exact_values(alice_api):
    csv = (
        b"prompt,input,context,output,golden_answer\n"
        b'"  spaced  ","a, comma","say ""hi""","multi\nline\r\nvalue",x\n'
        b"second,,,,\n"
        b"\xf0\x9f\x98\x80 emoji,\xc3\xa9,,,y\n"
    )
    data = body(create(alice_api, content=csv))
    records = data["records"]
    assert [r["prompt"] for r in records] == ["  spaced  ", "second", "\U0001f600 emoji"]
    assert records[0]["input"] == "a, comma"
    assert records[0]["context"] == 'say "hi"'
    assert records[0]["output"] == "multi\nline\r\nvalue"
    assert records[1]["input"] is None and records[1]["golden_answer"] is None
    assert records[2]["input"] == "\u00e9"
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)


def test_name_defaults_to_the_file_name_without_csv(alice_api):
    assert body(create(alice_api, filename="support_qa_march.CSV"))["name"] == "support_qa_march"


def test_name_is_trimmed(alice_api):
    assert body(create(alice_api, name="  Padded  "))["name"] == "Padded"


def test_selected_metrics_are_echoed_normalized(alice_api):
    data = body(create(alice_api, metrics={"1": {"threshold": 50}, "6": 0}))
    assert data["selected_metrics"] == {
        "1": {"threshold": 50, "metric_args": None},
        "6": {"threshold": 0, "metric_args": None},
    }


def test_headers_match_after_trimming_case_insensitively_and_extra_columns_are_ignored(alice_api):
    data = body(create(alice_api, content=b" Prompt ,NOTES,OUTPUT\nq,ignored,a\n"))
    assert data["structure"] == ["prompt", "output"]
    assert data["records"][0]["prompt"] == "q" and data["records"][0]["output"] == "a"


def test_column_mappings_point_fields_at_other_headers(alice_api):
    csv = b"question,answer,expected\nq1,a1,e1\n"
    mappings = {"prompt": "question", "output": "answer", "golden_answer": "expected"}
    data = body(create(alice_api, content=csv, column_mappings=mappings))
    assert data["column_mappings"] == mappings
    assert data["structure"] == ["prompt", "output", "golden_answer"]
    assert (data["records"][0]["prompt"], data["records"][0]["output"]) == ("q1", "a1")


def test_utf8_bom_and_utf16_files_are_accepted(alice_api):
    assert body(create(alice_api, content=b"\xef\xbb\xbfprompt\nhi\n", name="a"))["records"][0]["prompt"] == "hi"
    utf16 = "prompt,output\r\nh\u00e9llo,w\u00f6rld\r\n".encode("utf-16")
    data = body(create(alice_api, content=utf16, name="b"))
    assert (data["records"][0]["prompt"], data["records"][0]["output"]) == ("h\u00e9llo", "w\u00f6rld")


def test_fields_longer_than_the_default_csv_limit_are_fine(alice_api):
    long_value = "x" * 300_000
    data = body(create(alice_api, content=f"prompt\n{long_value}\n".encode()))
    assert data["records"][0]["prompt"] == long_value


def test_blank_lines_are_skipped(alice_api):
    data = body(create(alice_api, content=b"prompt\n\none\n\ntwo\n"))
    assert [r["prompt"] for r in data["records"]] == ["one", "two"]


def test_trailing_slash_and_extra_parts_are_accepted_and_ignored(alice_api, alice, acme):
    response = alice_api.post(
        "/api/v1/datasets/",
        {"file": csv_file(), "selected_metrics": json.dumps(METRICS), "org_id": str(acme.pk), "user": "999"},
        format="multipart",
    )
    assert response.status_code == 201
    assert body(response)["org_id"] is None and body(response)["user"]["id"] == alice.pk


# Collections and sharing.


def test_org_shared_collection_shares_the_dataset_with_its_org(alice_api, alice, acme):
    collection = DataCollection.objects.create(name="Shared", user=alice, org=acme, author_email=alice.email)
    data = body(create(alice_api, data_collection_id=str(collection.pk)))
    assert data["data_collection_id"] == collection.pk
    assert data["org_id"] == acme.pk
    assert data["user"]["id"] == alice.pk


def test_member_may_use_a_collection_shared_by_a_colleague(bob_api, alice, acme):
    collection = DataCollection.objects.create(name="Team", user=alice, org=acme, author_email=alice.email)
    data = body(create(bob_api, data_collection_id=str(collection.pk)))
    assert data["org_id"] == acme.pk


def test_null_collection_id_from_a_browser_form_means_no_collection(alice_api):
    data = body(create(alice_api, data_collection_id="null"))
    assert data["data_collection_id"] is None and data["org_id"] is None


def test_private_collection_keeps_the_dataset_private(alice_api, alice):
    collection = DataCollection.objects.create(name="Mine", user=alice, author_email=alice.email)
    data = body(create(alice_api, data_collection_id=str(collection.pk)))
    assert data["data_collection_id"] == collection.pk and data["org_id"] is None


def test_org_only_collection_shares_with_its_org(bob_api, acme):
    collection = DataCollection.objects.create(name="Org folder", org=acme, author_email="staff@acme.test")
    assert body(create(bob_api, data_collection_id=str(collection.pk)))["org_id"] == acme.pk


def test_someone_elses_private_collection_is_404(bob_api, alice):
    collection = DataCollection.objects.create(name="Alice only", user=alice, author_email=alice.email)
    assert_error(create(bob_api, data_collection_id=str(collection.pk)), 404, "not found")
    assert_nothing_stored()


def test_other_orgs_collection_is_404(carol_api, alice, acme):
    collection = DataCollection.objects.create(name="Acme", user=alice, org=acme, author_email=alice.email)
    assert_error(create(carol_api, data_collection_id=str(collection.pk)), 404)
    assert_nothing_stored()


def test_owner_who_left_the_org_cannot_use_its_shared_collection(alice_api, alice, acme):
    collection = DataCollection.objects.create(name="Old team", user=alice, org=acme, author_email=alice.email)
    alice.membership.delete()
    assert_error(create(alice_api, data_collection_id=str(collection.pk)), 404)
    assert_nothing_stored()


def test_unknown_collection_is_404(alice_api):
    assert_error(create(alice_api, data_collection_id="999999"), 404)


def test_missing_custom_type_is_404(alice_api):
    DatasetType.objects.filter(name="CUSTOM").delete()
    assert_error(create(alice_api), 404, "CUSTOM")


# Request shape: 401, 415, 422, 413.


def test_no_key_is_401(anon_api, db):
    response = anon_api.post("/api/v1/datasets", {"file": csv_file(), "selected_metrics": "{}"}, format="multipart")
    assert response.status_code == 401
    assert_nothing_stored()


def test_json_body_is_415(alice_api):
    response = alice_api.post("/api/v1/datasets", {"selected_metrics": METRICS}, format="json")
    assert_error(response, 415)


@pytest.mark.parametrize("missing", ["file", "selected_metrics"])
def test_missing_part_is_422(alice_api, missing):
    data = {"file": csv_file(), "selected_metrics": json.dumps(METRICS)}
    del data[missing]
    assert_error(alice_api.post("/api/v1/datasets", data, format="multipart"), 422, missing)
    assert_nothing_stored()


def test_file_sent_as_text_is_422(alice_api):
    data = {"file": "prompt\nhi\n", "selected_metrics": json.dumps(METRICS)}
    assert_error(alice_api.post("/api/v1/datasets", data, format="multipart"), 422, "file")


@pytest.mark.parametrize("value", ["abc", "1.5", "-3", "0", "true"])
def test_non_integer_collection_id_is_422(alice_api, value):
    assert_error(create(alice_api, data_collection_id=value), 422, "data_collection_id")
    assert_nothing_stored()


def test_upload_over_the_limit_is_413(alice_api, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    assert_error(create(alice_api, content=b"prompt\n" + b"x" * 2000 + b"\n"), 413, "MAX_UPLOAD_BYTES")
    assert_nothing_stored()


# selected_metrics and column_mappings: 400.


@pytest.mark.parametrize(
    ("metrics_text", "fragment"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ("{}", "at least one metric"),
        ('{"abc": {"threshold": 50}}', "not an integer metric id"),
        ('{"1.5": {"threshold": 50}}', "not an integer metric id"),
        ('{"01": {"threshold": 50}}', "not an integer metric id"),
        ('{"1": {}}', "threshold is required"),
        ('{"1": {"threshold": 101}}', "threshold must be an integer from 0 to 100"),
        ('{"1": {"threshold": -1}}', "threshold must be an integer"),
        ('{"1": {"threshold": true}}', "threshold must be an integer"),
        ('{"1": {"threshold": 50.5}}', "threshold must be an integer"),
        ('{"1": {"threshold": "50"}}', "threshold must be an integer"),
        ('{"1": {"threshold": NaN}}', "not valid JSON"),
        ('{"1": {"threshold": 50}, "1": {"threshold": 60}}', "duplicate key"),
        ('{"1": {"threshold": 50, "metric_args": [1]}}', "metric_args must be an object"),
        ('{"1": {"threshold": 50, "weight": 2}}', "unknown field"),
        ('{"9999": {"threshold": 50}}', "unknown metric id"),
        ('{"9999999999": {"threshold": 50}}', "unknown metric id"),
        ('{"1": {"threshold": 1e999}}', "threshold must be an integer"),
        ('{"24": {"threshold": 50}}', "inactive"),
        ('{"1": {"threshold": 50, "metric_args": {"nope": true}}}', "nope"),
        ('{"1": {"threshold": 50, "metric_args": {"case_sensitive": "true"}}}', "case_sensitive"),
        ('{"1": {"threshold": 50, "metric_args": {"case_sensitive": 1}}}', "case_sensitive"),
    ],
)
def test_invalid_selected_metrics_is_400(alice_api, metrics_text, fragment, monkeypatch):
    without_provider_keys(monkeypatch)  # metric 24 is judged: inactive only while its model has no key
    response = alice_api.post(
        "/api/v1/datasets", {"file": csv_file(), "selected_metrics": metrics_text}, format="multipart"
    )
    assert_error(response, 400, fragment)
    assert_nothing_stored()


def test_metric_argument_errors_name_the_metric_id(alice_api):
    response = create(alice_api, metrics={"1": {"threshold": 50, "metric_args": {"nope": True}}})
    assert_error(response, 400, "metric 1")


def test_inactive_catalog_row_is_400(alice_api):
    from metrics.models import Metric

    Metric.objects.filter(pk=1).update(is_active=False)
    assert_error(create(alice_api, metrics={"1": {"threshold": 50}}), 400, "inactive")


@pytest.mark.parametrize(
    ("mappings", "fragment"),
    [
        ("[]", "JSON object"),
        ('{"answer": "output"}', "not a record field"),
        ('{"prompt": 3}', "non-empty CSV column name"),
        ('{"prompt": "question"}', "not a header"),
        ("{bad", "not valid JSON"),
    ],
)
def test_invalid_column_mappings_is_400(alice_api, mappings, fragment):
    assert_error(create(alice_api, column_mappings=mappings), 400, fragment)
    assert_nothing_stored()


# The CSV: 400 naming the line.


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (b"", ["empty"]),
        (b"prompt,output\n", ["no data rows"]),
        (b"foo,bar\n1,2\n", ["Headers found: 'foo', 'bar'", "prompt, input, context, output, golden_answer"]),
        (b"prompt,Prompt\n1,2\n", ["Line 1", "duplicate header"]),
        (b"prompt,output\na,b\nc\n", ["Line 3", "expected 2 fields"]),
        (b"prompt,output\na,b,c\n", ["Line 2", "found 3"]),
        (b'prompt\n"unterminated\n', ["Line 2", "malformed CSV"]),
        (b"prompt\nok\nbad\xff\n", ["Line 3", "UTF-8"]),
        (b"prompt\nnul\x00here\n", ["Line 2", "NUL"]),
        (b"\xff\xfe" + "prompt\n".encode("utf-16-le") + b"\x00\xd8", ["UTF-16"]),
    ],
)
def test_invalid_csv_is_400_and_stores_nothing(alice_api, content, fragments):
    assert_error(create(alice_api, content=content), 400, *fragments)
    assert_nothing_stored()


def test_a_bad_row_late_in_a_large_file_leaves_nothing_behind(alice_api):
    content = b"prompt\n" + b"row\n" * 5000 + b"bad\xff\n"
    assert_error(create(alice_api, content=content), 400, "Line 5002")
    assert_nothing_stored()


# Names: 400, checked last.


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("   ", "must not be empty"), ("x" * 256, "at most 255"), ("tab\there", "control characters")],
)
def test_invalid_name_is_400(alice_api, name, fragment):
    assert_error(create(alice_api, name=name), 400, fragment)
    assert_nothing_stored()


def test_duplicate_private_name_is_400_case_insensitively(alice_api):
    assert create(alice_api, name="Support QA").status_code == 201
    assert_error(create(alice_api, name="support qa"), 400, "already exists")
    assert Dataset.objects.count() == 1


def test_same_name_is_fine_for_another_user(alice_api, bob_api):
    assert create(alice_api, name="Same").status_code == 201
    assert create(bob_api, name="Same").status_code == 201


def test_duplicate_name_within_an_org_is_400(alice_api, bob_api, alice, acme):
    collection = DataCollection.objects.create(name="Team", user=alice, org=acme, author_email=alice.email)
    assert create(alice_api, name="Shared set", data_collection_id=str(collection.pk)).status_code == 201
    response = create(bob_api, name="SHARED SET", data_collection_id=str(collection.pk))
    assert_error(response, 400, "in your organization")


def test_csv_errors_are_reported_before_name_errors(alice_api):
    create(alice_api, name="Taken")
    assert_error(create(alice_api, name="Taken", content=b"prompt\nbad\xff\n"), 400, "UTF-8")


def test_json_part_errors_come_before_404(alice_api):
    assert_error(create(alice_api, metrics={}, data_collection_id="999999"), 400, "at least one metric")


def test_404_comes_before_csv_errors(alice_api):
    assert_error(create(alice_api, content=b"", data_collection_id="999999"), 404)


# Prefer: return=minimal.


def test_prefer_minimal_leaves_records_out(alice_api):
    response = alice_api.post(
        "/api/v1/datasets",
        {"file": csv_file(BASIC_CSV * 1), "selected_metrics": json.dumps(METRICS)},
        format="multipart",
        HTTP_PREFER="return=minimal",
    )
    assert response.status_code == 201
    assert response["Preference-Applied"] == "return=minimal"
    data = body(response)
    assert "records" not in data and data["record_count"] == 1
