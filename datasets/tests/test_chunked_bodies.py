"""Bodies sent with `Transfer-Encoding: chunked` (no Content-Length), as a client streaming a file of unknown size
sends them: through the WSGI application itself (both databases), and over real HTTP to gunicorn (PostgreSQL)."""

import io
import json

import httpx
import orjson
import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from aegis.wsgi import application
from conftest import client_for
from datasets.models import Dataset, Record
from datasets.tests.test_upload_faults import (  # noqa: F401  (server: the gunicorn fixture)
    BOUNDARY,
    assert_quiet,
    csv_rows,
    multipart,
    server,
    wait_for,
)
from runs.tests.processes import needs_postgres

MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
TOO_LARGE = "The upload is larger than the limit of {} bytes (MAX_UPLOAD_BYTES)."


def pieces(body: bytes, size: int = 65_536):
    """A generator body: httpx sends it chunked, since it cannot know the length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


# Through the WSGI application, in this process.


@pytest.fixture
def wsgi(db):
    """Calls aegis.wsgi.application as gunicorn does for a chunked request: no CONTENT_LENGTH, the body ended by
    the server (wsgi.input_terminated). Like Django's test client, it keeps the test's connection open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    def call(method: str, path: str, key: str, body: bytes, content_type: str) -> tuple[int, dict]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_AUTHORIZATION": f"Bearer {key}",
            "HTTP_TRANSFER_ENCODING": "chunked",
            "CONTENT_TYPE": content_type,
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
        }
        started = {}

        def start_response(status, headers, exc_info=None):
            started["status"] = int(status.split()[0])

        response = application(environ, start_response)
        try:
            content = b"".join(response)
        finally:
            response.close()
        return started["status"], orjson.loads(content) if content else {}

    try:
        yield call
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_a_chunked_upload_is_stored(wsgi, alice):
    key = client_for(alice).raw_key
    status, answer = wsgi("POST", "/api/v1/datasets", key, multipart(csv_rows(3), "chunked"), MULTIPART)
    assert status == 201, answer
    dataset = Dataset.objects.get()
    assert (dataset.name, dataset.record_count) == ("chunked", 3)
    assert list(Record.objects.order_by("id").values_list("output", flat=True)) == [
        "answer 0",
        "answer 1",
        "answer 2",
    ]


@override_settings(MAX_UPLOAD_BYTES=10_000)
def test_a_chunked_upload_over_the_limit_is_a_413_and_nothing_is_stored(wsgi, alice):
    key = client_for(alice).raw_key
    status, answer = wsgi("POST", "/api/v1/datasets", key, multipart(csv_rows(2_000), "big"), MULTIPART)
    assert status == 413
    assert answer["detail"] == TOO_LARGE.format(10_000)
    assert not Dataset.objects.exists()
    assert not Record.objects.exists()


def test_a_chunked_json_body_is_read(wsgi, alice):
    client = client_for(alice)
    status, answer = wsgi("POST", "/api/v1/datasets", client.raw_key, multipart(csv_rows(1), "before"), MULTIPART)
    assert status == 201, answer
    dataset = Dataset.objects.get()
    status, answer = wsgi(
        "PUT",
        f"/api/v1/datasets/{dataset.pk}",
        client.raw_key,
        json.dumps({"name": "after"}).encode(),
        "application/json",
    )
    assert status == 200, answer
    dataset.refresh_from_db()
    assert dataset.name == "after"


# Over real HTTP, to gunicorn.


@pytest.fixture
def limited_server(monkeypatch, request):
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "100000")
    return request.getfixturevalue("server")


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_upload_streamed_without_a_length_is_stored(server, alice):  # noqa: F811
    key = client_for(alice).raw_key
    body = multipart(csv_rows(200_000), "streamed")  # about 4.5 MB: spooled to disk
    response = httpx.post(
        f"http://127.0.0.1:{server.port}/api/v1/datasets",
        content=pieces(body),
        headers={"Authorization": f"Bearer {key}", "Content-Type": MULTIPART, "Prefer": "return=minimal"},
        timeout=120,
    )
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.request.headers
    assert response.status_code == 201, response.text[:500]
    assert Dataset.objects.get(name="streamed").record_count == 200_000
    wait_for(lambda: not server.open_uploads(), 20, "the temporary file to be closed")
    assert list(server.upload_dir.iterdir()) == []
    assert_quiet(server.log())


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_streamed_upload_over_the_limit_is_a_413_that_leaves_nothing(limited_server, alice):
    key = client_for(alice).raw_key
    response = httpx.post(
        f"http://127.0.0.1:{limited_server.port}/api/v1/datasets",
        content=pieces(multipart(csv_rows(20_000), "too-big")),  # about 450 kB
        headers={"Authorization": f"Bearer {key}", "Content-Type": MULTIPART},
        timeout=120,
    )
    assert response.status_code == 413, response.text[:500]
    assert response.json()["detail"] == TOO_LARGE.format(100_000)
    assert not Dataset.objects.exists()
    wait_for(lambda: not limited_server.open_uploads(), 20, "the temporary file to be closed")
    assert list(limited_server.upload_dir.iterdir()) == []
    assert_quiet(limited_server.log())
