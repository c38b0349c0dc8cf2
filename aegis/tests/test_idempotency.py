"""Idempotency-Key on the five creates, over real HTTP requests and the real database."""

import json
from datetime import timedelta

import orjson
import pytest
from django.db import connection
from django.test.client import encode_multipart
from django.utils import timezone

from accounts import idempotency as store
from accounts.models import IdempotencyKey
from aegis.tests.creates import CREATES, content
from collections_app.models import DataCollection
from datasets.models import Dataset
from datasets.tests.helpers import BASIC_CSV, METRICS, csv_file

pytestmark = pytest.mark.django_db

ENDPOINTS = pytest.mark.parametrize("endpoint", list(CREATES))


def error(response) -> dict:
    return orjson.loads(content(response))


@ENDPOINTS
def test_a_retry_with_the_same_key_gets_the_first_answer_and_creates_nothing(alice_api, endpoint):
    create = CREATES[endpoint]
    context = create.prepare(alice_api)
    first = create.send(alice_api, context, key="retry-1")
    assert first.status_code == 201, content(first)
    assert not first.has_header("Idempotent-Replayed")
    rows = create.rows()

    again = create.send(alice_api, context, key="retry-1")

    assert again.status_code == 201
    assert content(again) == content(first)
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["Location"] == first["Location"] == create.location(orjson.loads(content(first)))
    assert create.rows() == rows


@ENDPOINTS
def test_the_same_key_with_a_different_body_is_a_422_naming_the_key(alice_api, endpoint):
    create = CREATES[endpoint]
    context = create.prepare(alice_api)
    assert create.send(alice_api, context, key="k-42", variant="a").status_code == 201
    rows = create.rows()

    response = create.send(alice_api, context, key="k-42", variant="b")

    assert response.status_code == 422
    assert "'k-42'" in error(response)["detail"]
    assert "different request" in error(response)["errors"]["Idempotency-Key"][0]
    assert not response.has_header("Idempotent-Replayed")
    assert create.rows() == rows


def test_the_same_key_on_another_endpoint_is_a_422(alice_api):
    assert CREATES["data-collections"].send(alice_api, {}, key="shared").status_code == 201
    response = CREATES["evaluate"].send(alice_api, {}, key="shared")
    assert response.status_code == 422
    assert CREATES["evaluate"].rows() == (0, 0)


def test_keys_belong_to_their_user(alice_api, bob_api):
    create = CREATES["data-collections"]
    assert create.send(alice_api, {}, key="mine").status_code == 201
    response = create.send(bob_api, {}, key="mine")
    assert response.status_code == 201
    assert not response.has_header("Idempotent-Replayed")
    assert DataCollection.objects.count() == 2


def test_an_expired_key_is_a_new_key(alice_api):
    create = CREATES["data-collections"]
    assert create.send(alice_api, {}, key="old").status_code == 201
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = create.send(alice_api, {}, key="old", variant="b")

    assert response.status_code == 201
    assert not response.has_header("Idempotent-Replayed")
    assert DataCollection.objects.count() == 2
    assert IdempotencyKey.objects.get().expires_at > timezone.now() + timedelta(hours=23)


def test_a_key_is_kept_for_24_hours(alice_api):
    CREATES["data-collections"].send(alice_api, {}, key="day")
    kept = IdempotencyKey.objects.get()
    assert kept.expires_at - kept.created_at == timedelta(hours=24)


def test_requests_without_a_key_keep_nothing(alice_api):
    assert CREATES["data-collections"].send(alice_api, {}, variant="a").status_code == 201
    assert CREATES["data-collections"].send(alice_api, {}, variant="b").status_code == 201
    assert DataCollection.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\there", "new\x7fline"])
def test_a_malformed_key_is_a_422_and_creates_nothing(alice_api, key):
    response = CREATES["data-collections"].send(alice_api, {}, key=key)
    assert response.status_code == 422
    assert error(response)["errors"] == {"Idempotency-Key": ["must be 1-255 printable ASCII characters."]}
    assert not DataCollection.objects.exists()


def test_a_key_of_255_printable_characters_with_spaces_is_accepted(alice_api):
    key = ("a b~!" * 51)[:255]
    create = CREATES["data-collections"]
    assert create.send(alice_api, {}, key=key).status_code == 201
    assert create.send(alice_api, {}, key=key)["Idempotent-Replayed"] == "true"


def test_the_prefer_header_is_part_of_the_request(alice_api):
    create = CREATES["datasets"]
    first = create.send(alice_api, {}, key="minimal", HTTP_PREFER="return=minimal")
    assert first["Preference-Applied"] == "return=minimal"

    again = create.send(alice_api, {}, key="minimal", HTTP_PREFER="return=minimal")
    assert again["Preference-Applied"] == "return=minimal"
    assert content(again) == content(first)

    assert create.send(alice_api, {}, key="minimal").status_code == 422
    assert Dataset.objects.count() == 1


def test_a_multipart_retry_with_a_new_boundary_is_the_same_request(alice_api):
    def upload(boundary):
        data = {"file": csv_file(BASIC_CSV), "selected_metrics": json.dumps(METRICS), "name": "Bounded"}
        return alice_api.generic(
            "POST",
            "/api/v1/datasets",
            encode_multipart(boundary, data),
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_IDEMPOTENCY_KEY="upload",
        )

    first = upload("first-attempt-0f3a")
    content(first)
    again = upload("second-attempt-9c41d2")

    assert again["Idempotent-Replayed"] == "true"
    assert content(again) == content(first)
    assert Dataset.objects.count() == 1


def test_a_multipart_retry_with_another_file_is_a_422(alice_api):
    create = CREATES["datasets"]
    assert create.send(alice_api, {}, key="file").status_code == 201
    other = {"file": csv_file(BASIC_CSV + b"another,row,here\n"), "selected_metrics": json.dumps(METRICS)}
    other["name"] = "Set a"
    response = alice_api.post("/api/v1/datasets", other, format="multipart", HTTP_IDEMPOTENCY_KEY="file")
    assert response.status_code == 422
    assert Dataset.objects.count() == 1


def test_an_error_the_request_caused_is_replayed(alice_api, private_collection):
    create = CREATES["data-collections"]
    first = alice_api.post("/api/v1/data-collections", {"name": "Mine"}, format="json", HTTP_IDEMPOTENCY_KEY="dup")
    assert first.status_code == 400

    again = alice_api.post("/api/v1/data-collections", {"name": "Mine"}, format="json", HTTP_IDEMPOTENCY_KEY="dup")

    assert again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert content(again) == content(first)
    assert create.rows() == (1,)


def test_a_server_error_is_not_kept_so_the_retry_runs(alice_api, monkeypatch):
    import collections_app.views

    real = collections_app.views.collection_create
    calls = []

    def fail_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(collections_app.views, "collection_create", fail_once)
    alice_api.raise_request_exception = False
    create = CREATES["data-collections"]

    assert create.send(alice_api, {}, key="flaky").status_code == 500
    response = create.send(alice_api, {}, key="flaky")

    assert response.status_code == 201
    assert not response.has_header("Idempotent-Replayed")
    assert DataCollection.objects.count() == 1


def test_a_413_is_not_kept_so_the_retry_runs_once_the_limit_allows(alice_api, settings):
    create = CREATES["datasets"]
    settings.MAX_UPLOAD_BYTES = 10
    assert create.send(alice_api, {}, key="big").status_code == 413
    settings.MAX_UPLOAD_BYTES = 1_000_000
    assert create.send(alice_api, {}, key="big").status_code == 201
    assert Dataset.objects.count() == 1


def test_a_request_while_the_first_with_its_key_runs_gets_a_409_with_retry_after(alice_api, alice):
    now = timezone.now()
    store.claim(user=alice, key="busy", now=now, expires_at=now + timedelta(hours=1))

    response = CREATES["data-collections"].send(alice_api, {}, key="busy")

    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert error(response) == {
        "detail": "A request with Idempotency-Key 'busy' is in progress; retry when it has finished."
    }
    assert not DataCollection.objects.exists()


def test_an_answer_too_large_to_keep_is_replayed_as_a_409_pointing_at_the_object(alice_api, settings):
    settings.IDEMPOTENCY_MAX_STORED_BYTES = 100
    create = CREATES["datasets"]
    first = create.send(alice_api, {}, key="huge")
    dataset = orjson.loads(content(first))  # the first answer is whole, whatever is kept
    assert dataset["records"][0]["prompt"] == "What is the refund policy?"
    assert IdempotencyKey.objects.get().body is None

    again = create.send(alice_api, {}, key="huge")

    assert again.status_code == 409
    assert again["Location"] == first["Location"] == f"/api/v1/datasets/{dataset['id']}"
    assert again["Idempotent-Replayed"] == "true"
    detail = error(again)["detail"]
    assert "already finished with status 201" in detail
    assert f"{len(content(first))}-byte response was not kept" in detail
    assert f"/api/v1/datasets/{dataset['id']}: GET it" in detail
    assert Dataset.objects.count() == 1


def test_an_answer_that_broke_off_is_replayed_as_a_409_pointing_at_the_object(alice_api, monkeypatch):
    create = CREATES["runs/custom"]
    first = create.send(alice_api, {}, key="cut", read=False)
    next(iter(first.streaming_content))
    # The client went away after one chunk, and the server closes the response. The test keeps its connection.
    monkeypatch.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)
    first.close()

    again = create.send(alice_api, {}, key="cut")

    assert again.status_code == 409
    assert again["Location"] == first["Location"]
    assert create.rows() == (1, 1)


def test_the_whole_streamed_body_is_kept(alice_api):
    first = CREATES["runs/custom"].send(alice_api, {}, key="whole", read=False)
    assert IdempotencyKey.objects.get().completed_at is None  # until the last chunk has gone out
    body = content(first)
    kept = IdempotencyKey.objects.get()
    assert bytes(kept.body) == body
    assert kept.body_size == len(content(first))
    assert kept.status == 201
    assert kept.headers["Content-Type"] == "application/json"
    assert kept.headers["Location"] == first["Location"]


def test_a_request_without_credentials_is_a_401_whatever_its_key(anon_api):
    assert CREATES["data-collections"].send(anon_api, {}, key="").status_code == 401


@pytest.mark.parametrize("chunk", [1, 7, 64, 65_536])
def test_the_digest_depends_on_the_parts_not_on_the_boundary_or_the_reads(rf, chunk):
    from aegis.idempotency import _Digest

    def digest(boundary, size, data=None):
        data = data or {"file": csv_file(BASIC_CSV * 50), "selected_metrics": json.dumps(METRICS)}
        body = encode_multipart(boundary, data)
        request = rf.post("/api/v1/datasets", body, content_type=f"multipart/form-data; boundary={boundary}")
        result = _Digest(request)
        for start in range(0, len(body), size):
            result.update(body[start : start + size])
        return result.hexdigest()

    reference = digest("BoUnDaRy", 65_536)
    assert digest("BoUnDaRy", chunk) == reference
    assert digest("x" * 60, chunk) == reference
    assert digest("BoUnDaRy", chunk, {"file": csv_file(BASIC_CSV * 49), "selected_metrics": "{}"}) != reference
