"""Dataset versions: POST /datasets/{id}/versions, ?version=N, dataset_version on runs, comparing across versions."""

import pytest

from datasets.models import DatasetVersion, Record
from datasets.tests.helpers import body, csv_file
from runs.tests.helpers import dataset_run, make_dataset

pytestmark = pytest.mark.django_db

V1 = b"prompt,output,golden_answer\nq1,Paris,Paris\nq2,Rome,Rome\nq3,Oslo,Bergen\n"
# q1 unchanged, q2 now wrong, q3 now right, q3 dropped in favour of a new q4.
V2 = b"prompt,output,golden_answer\nq2,Milan,Rome\nq1,Paris,Paris\nq3,Oslo,Oslo\nq4,Bern,Bern\n"
EXACT = {"1": {"threshold": 70, "metric_args": None}}


def upload_version(client, dataset_id, content=V2, **parts):
    data = {"file": csv_file(content, "v2.csv"), **parts}
    return client.post(f"/api/v1/datasets/{dataset_id}/versions", data, format="multipart")


@pytest.fixture
def dataset(alice_api):
    return make_dataset(alice_api, content=V1, metrics=EXACT, name="Capitals")


def prompts(records):
    return [record["prompt"] for record in records]


def test_a_new_version_becomes_the_dataset_and_the_old_one_stays_readable(alice_api, dataset):
    response = upload_version(alice_api, dataset["id"])

    assert response.status_code == 201, body(response)
    created = body(response)
    assert created["version"] == 2
    assert [(v["number"], v["record_count"], v["author_email"]) for v in created["versions"]] == [
        (1, 3, "alice@acme.test"),
        (2, 4, "alice@acme.test"),
    ]
    latest = body(alice_api.get(f"/api/v1/datasets/{dataset['id']}"))
    assert latest["version"] == 2
    assert prompts(latest["records"]) == ["q2", "q1", "q3", "q4"]
    assert latest["name"] == "Capitals" and latest["selected_metrics"] == dataset["selected_metrics"]
    old = body(alice_api.get(f"/api/v1/datasets/{dataset['id']}", {"version": 1}))
    assert old["version"] == 1
    assert old["records"] == dataset["records"]  # the records of a version never change
    paged = body(alice_api.get(f"/api/v1/datasets/{dataset['id']}/records", {"version": 1, "page_size": 2}))
    assert prompts(paged["items"]) == ["q1", "q2"] and paged["meta"]["total_items"] == 3
    latest_page = body(alice_api.get(f"/api/v1/datasets/{dataset['id']}/records"))
    assert prompts(latest_page["items"]) == ["q2", "q1", "q3", "q4"] and latest_page["meta"]["total_items"] == 4


def test_metrics_stay_unless_sent(alice_api, dataset):
    metrics = '{"9": {"threshold": 100}}'
    created = body(upload_version(alice_api, dataset["id"], selected_metrics=metrics))

    assert created["selected_metrics"] == {"9": {"threshold": 100, "metric_args": None}}
    old = body(alice_api.get(f"/api/v1/datasets/{dataset['id']}", {"version": 1}, HTTP_PREFER="return=minimal"))
    assert old["selected_metrics"] == EXACT
    assert old["record_count"] == 3


def test_a_bad_file_is_a_400_and_stores_nothing(alice_api, dataset):
    response = upload_version(alice_api, dataset["id"], content=b'prompt,output\n"unterminated,x\n')

    assert response.status_code == 400
    assert "file" in body(response)["errors"]
    assert Record.objects.filter(dataset_id=dataset["id"]).count() == 3
    assert not DatasetVersion.objects.filter(dataset_id=dataset["id"]).exists()
    assert body(alice_api.get(f"/api/v1/datasets/{dataset['id']}"))["version"] == 1


def test_bad_metrics_are_a_400(alice_api, dataset):
    response = upload_version(alice_api, dataset["id"], selected_metrics='{"999": {"threshold": 70}}')
    assert response.status_code == 400
    assert body(alice_api.get(f"/api/v1/datasets/{dataset['id']}"))["version"] == 1


def test_missing_file_is_a_422_and_an_invisible_dataset_a_404(alice_api, carol_api, dataset):
    missing = alice_api.post(f"/api/v1/datasets/{dataset['id']}/versions", {}, format="multipart")
    assert missing.status_code == 422
    assert upload_version(carol_api, dataset["id"]).status_code == 404


def test_an_unknown_version_is_a_404(alice_api, dataset):
    assert alice_api.get(f"/api/v1/datasets/{dataset['id']}", {"version": 2}).status_code == 404
    assert alice_api.get(f"/api/v1/datasets/{dataset['id']}/records", {"version": 5}).status_code == 404
    assert alice_api.get(f"/api/v1/datasets/{dataset['id']}", {"version": 0}).status_code == 422


def test_runs_record_the_version_they_scored(alice_api, dataset):
    first = body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    upload_version(alice_api, dataset["id"])
    second = body(dataset_run(alice_api, dataset["id"], is_blocking=True))

    assert (first["dataset_version"], second["dataset_version"]) == (1, 2)
    assert [e["record"]["prompt"] for e in second["evaluations"]] == ["q2", "q1", "q3", "q4"]
    listed = body(alice_api.get(f"/api/v1/datasets/{dataset['id']}"))["runs"]
    assert {run["id"]: run["dataset_version"] for run in listed} == {first["id"]: 1, second["id"]: 2}


def test_comparing_across_versions_matches_records_by_content(alice_api, dataset):
    base = body(dataset_run(alice_api, dataset["id"], is_blocking=True))["id"]
    upload_version(alice_api, dataset["id"])
    head = body(dataset_run(alice_api, dataset["id"], is_blocking=True))["id"]

    summary = body(alice_api.get("/api/v1/runs/compare", {"base": base, "head": head}))

    assert summary["matching"] == "content"
    assert (summary["base"]["dataset_version"], summary["head"]["dataset_version"]) == (1, 2)
    # q1 and q2 have the same prompt and golden answer in both; q3's golden answer changed, q4 is new.
    assert summary["records"] == {
        "base": 3, "head": 4, "matched": 2, "only_in_base": 1, "only_in_head": 2,
        "with_change": {"regressed": 1, "improved": 0, "unchanged": 1, "error": 0, "pending": 0},
    }  # fmt: skip
    [exact] = summary["metrics"]
    assert (exact["regressions"], exact["improvements"], exact["unchanged"]) == (1, 0, 1)
    records = body(alice_api.get("/api/v1/runs/compare/records", {"base": base, "head": head}))["items"]
    assert [(r["base_record"]["output"], r["head_record"]["output"]) for r in records] == [
        ("Paris", "Paris"),
        ("Rome", "Milan"),
    ]


def test_duplicate_rows_pair_one_to_one_across_versions(alice_api):
    twice = b"prompt,output,golden_answer\nq,a,a\nq,b,a\n"
    dataset = make_dataset(alice_api, content=twice, metrics=EXACT, name="Twice")
    base = body(dataset_run(alice_api, dataset["id"], is_blocking=True))["id"]
    upload_version(alice_api, dataset["id"], content=twice)
    head = body(dataset_run(alice_api, dataset["id"], is_blocking=True))["id"]

    summary = body(alice_api.get("/api/v1/runs/compare", {"base": base, "head": head}))

    assert summary["records"]["matched"] == 2
    assert summary["metrics"][0]["pairs"] == 2
    assert summary["metrics"][0]["unchanged"] == 2


def test_the_download_is_the_latest_version(alice_api, dataset):
    upload_version(alice_api, dataset["id"])
    response = alice_api.get(f"/api/v1/datasets/{dataset['id']}/download")
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[1:] == ["q2,Milan,Rome", "q1,Paris,Paris", "q3,Oslo,Oslo", "q4,Bern,Bern"]


def test_deleting_the_dataset_deletes_its_versions(alice_api, dataset):
    upload_version(alice_api, dataset["id"])
    assert alice_api.delete(f"/api/v1/datasets/{dataset['id']}").status_code == 204
    assert not DatasetVersion.objects.filter(dataset_id=dataset["id"]).exists()
    assert not Record.objects.filter(dataset_id=dataset["id"]).exists()


def test_an_org_member_uploads_a_version_of_a_shared_dataset(alice_api, bob_api, team_collection):
    dataset = make_dataset(alice_api, content=V1, metrics=EXACT, name="Team set", data_collection_id=team_collection.pk)
    response = upload_version(bob_api, dataset["id"])
    assert response.status_code == 201
    assert body(response)["versions"][-1]["author_email"] == "bob@acme.test"
    assert body(response)["user"]["email"] == "alice@acme.test"  # name and sharing are the dataset's


def upload_keyed(client, dataset_id, key, content=V2):
    data = {"file": csv_file(content, "v2.csv")}
    return client.post(f"/api/v1/datasets/{dataset_id}/versions", data, format="multipart", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_with_the_same_idempotency_key_replays_the_version_and_stores_no_second_one(alice_api, dataset):
    first = upload_keyed(alice_api, dataset["id"], "v2-upload")
    again = upload_keyed(alice_api, dataset["id"], "v2-upload")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert body(again) == body(first)
    assert again["Location"] == first["Location"].replace("http://testserver", "")
    assert list(DatasetVersion.objects.filter(dataset_id=dataset["id"]).values_list("number", flat=True)) == [1, 2]
    assert Record.objects.filter(dataset_id=dataset["id"]).count() == 3 + 4


def test_the_same_idempotency_key_on_another_file_is_refused_as_for_the_create(alice_api, dataset):
    assert upload_keyed(alice_api, dataset["id"], "v2-upload").status_code == 201
    other = upload_keyed(alice_api, dataset["id"], "v2-upload", content=V1)

    assert other.status_code == 422
    assert "Idempotency-Key" in body(other)["errors"]
    assert DatasetVersion.objects.filter(dataset_id=dataset["id"]).count() == 2


def test_new_versions_count_against_the_create_rate(alice_api, dataset, settings):
    settings.THROTTLE_CREATE_RATE = "2/min"  # the dataset's own create was the first
    assert upload_keyed(alice_api, dataset["id"], "first").status_code == 201
    assert upload_keyed(alice_api, dataset["id"], "first")["Idempotent-Replayed"] == "true"  # a replay: not counted

    throttled = upload_keyed(alice_api, dataset["id"], "second", content=V1)

    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1
    assert body(throttled)["detail"].startswith("Request was throttled.")
    assert DatasetVersion.objects.filter(dataset_id=dataset["id"]).count() == 2
