"""The file part read as it arrives when the form fields come before it, and the same answers in any order.

Through DRF's test client with a request body that notes how much of it the server has read, so a test sees
whether the dataset was written before the last byte arrived (streamed) or only after (spooled, as Django's parser
does for a file sent before the fields); and over real HTTP to gunicorn (PostgreSQL), where the COPY is seen
running while the client still holds back the rest of the file.
"""

import io
import json
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings

from aegis.uploads import WholeBodyInput
from conftest import client_for
from datasets.models import Dataset, Record
from datasets.tests.helpers import METRICS, body
from datasets.tests.test_chunked_bodies import wsgi  # noqa: F401  (the WSGI application called as gunicorn does)
from datasets.tests.test_upload_faults import (  # noqa: F401  (server: the gunicorn fixture)
    assert_quiet,
    csv_rows,
    server,
    upload_headers,
    wait_for,
)
from datasets.tests.test_upload_forgiving import xlsx_bytes
from runs.tests.processes import needs_postgres

BOUNDARY = "aegis-stream-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
SELECTED = json.dumps(METRICS)
LARGE = csv_rows(200_000)  # about 4.5 MB: several of the 1 MB chunks the body is read in


def form(*parts) -> bytes:
    """A multipart body of (name, text) fields and (name, (filename, bytes)) files, in the order given."""
    out = b""
    for name, value in parts:
        if isinstance(value, tuple):
            filename, content = value
            out += (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode() + content
        else:
            out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode()
        out += b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


class ArrivingBody:
    """wsgi.input that remembers how many bytes the server has read."""

    def __init__(self, data: bytes):
        self.data = data
        self.read_so_far = 0

    def read(self, size=-1):
        end = len(self.data) if size is None or size < 0 else self.read_so_far + size
        chunk = self.data[self.read_so_far : end]
        self.read_so_far += len(chunk)
        return chunk

    def readline(self, size=-1):
        end = self.data.find(b"\n", self.read_so_far) + 1 or len(self.data)
        if size is not None and size >= 0:
            end = min(end, self.read_so_far + size)
        return self.read(end - self.read_so_far)


@contextmanager
def dataset_writes(arriving: ArrivingBody):
    """The body bytes read when each write to the datasets tables ran."""
    seen: list[int] = []

    def note(execute, sql, params, many, context):
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE") and '"datasets_' in sql:
            seen.append(arriving.read_so_far)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        yield seen


def post(client, data: bytes, path: str = "/api/v1/datasets", **headers):
    """The answer and the body read count at each dataset write."""
    arriving = ArrivingBody(data)
    with dataset_writes(arriving) as seen:
        response = client.post(path, data=data, content_type=MULTIPART, **{"wsgi.input": arriving}, **headers)
        answer = body(response) if response.streaming or response.content else None
    return response, answer, seen, len(data)


def open_files_under(directory: Path) -> list[str]:
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(directory)):
            found.append(target)
    return found


@pytest.fixture
def upload_dir(tmp_path, settings):
    directory = tmp_path / "uploads"
    directory.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(directory)
    return directory


def assert_nothing_left(upload_dir: Path) -> None:
    assert not Dataset.objects.exists()
    assert not Record.objects.exists()
    assert list(upload_dir.iterdir()) == []
    if Path("/proc/self/fd").is_dir():
        assert open_files_under(upload_dir) == []


# The fast path.


def test_fields_before_the_file_let_the_file_be_stored_while_it_arrives(alice_api, upload_dir):
    data = form(("selected_metrics", SELECTED), ("name", "streamed"), ("file", ("big.csv", LARGE)))
    response, answer, seen, length = post(alice_api, data, HTTP_PREFER="return=minimal")
    assert response.status_code == 201, answer
    assert (answer["name"], answer["record_count"]) == ("streamed", 200_000)
    assert seen and seen[0] < length // 2  # the dataset row was written with most of the file still to come
    assert Record.objects.filter(dataset_id=answer["id"]).count() == 200_000
    assert list(upload_dir.iterdir()) == []
    if Path("/proc/self/fd").is_dir():
        assert open_files_under(upload_dir) == []


def test_a_file_before_the_fields_is_stored_once_it_has_all_arrived(alice_api, upload_dir):
    data = form(("file", ("big.csv", LARGE)), ("selected_metrics", SELECTED), ("name", "spooled"))
    response, answer, seen, length = post(alice_api, data, HTTP_PREFER="return=minimal")
    assert response.status_code == 201, answer
    assert (answer["name"], answer["record_count"]) == ("spooled", 200_000)
    assert seen and all(read == length for read in seen)
    assert list(upload_dir.iterdir()) == []


def test_a_field_after_a_streamed_file_still_counts_and_the_first_attempt_leaves_nothing(alice_api, upload_dir):
    content = b"question,answer\n" + b"".join(b"q%d,a%d\n" % (i, i) for i in range(300_000))
    data = form(
        ("selected_metrics", SELECTED),
        ("column_mappings", json.dumps({"prompt": "question"})),
        ("file", ("late.csv", content)),
        ("column_mappings", json.dumps({"prompt": "question", "golden_answer": "answer"})),
        ("name", "named after the file"),
    )
    response, answer, seen, length = post(alice_api, data, HTTP_PREFER="return=minimal")
    assert response.status_code == 201, answer
    assert (answer["name"], answer["record_count"]) == ("named after the file", 300_000)
    assert answer["structure"] == ["prompt", "golden_answer"]
    assert seen[0] < length  # the first attempt streamed, and was rolled back once the later fields came
    assert Dataset.objects.count() == 1
    assert Record.objects.count() == 300_000
    assert Record.objects.order_by("id").values_list("prompt", "golden_answer").first() == ("q0", "a0")
    assert list(upload_dir.iterdir()) == []


def test_dry_run_after_a_streamed_file_stores_nothing(alice_api, upload_dir):
    data = form(("selected_metrics", SELECTED), ("file", ("check.csv", csv_rows(1_000))), ("dry_run", "true"))
    response, answer, _, _ = post(alice_api, data)
    assert response.status_code == 200, answer
    assert (answer["valid"], answer["row_count"]) == (True, 1_000)
    assert_nothing_left(upload_dir)


def test_a_version_streams_too_and_keeps_the_rules_of_a_version(alice_api, upload_dir):
    first = body(
        alice_api.post(
            "/api/v1/datasets",
            form(("selected_metrics", SELECTED), ("file", ("v.csv", csv_rows(3)))),
            content_type=MULTIPART,
        )
    )
    path = f"/api/v1/datasets/{first['id']}/versions"
    response, answer, seen, length = post(alice_api, form(("file", ("v2.csv", LARGE))), path)
    assert response.status_code == 201, answer
    assert [version["record_count"] for version in answer["versions"]] == [3, 200_000]
    assert seen[0] < length // 2
    late = form(("file", ("v3.csv", csv_rows(2))), ("selected_metrics", json.dumps({"1": {"threshold": 10}})))
    response, answer, _, _ = post(alice_api, late, path)
    assert response.status_code == 201, answer
    assert [version["record_count"] for version in answer["versions"]] == [3, 200_000, 2]
    assert Dataset.objects.get().selected_metrics == {"1": {"threshold": 10, "metric_args": None}}
    assert Record.objects.count() == 3 + 200_000 + 2
    assert list(upload_dir.iterdir()) == []


def test_the_browsable_api_form_uploads_with_a_session_as_before(alice, upload_dir):
    browser = Client(enforce_csrf_checks=True)  # the CSRF check reads the whole form before the view
    browser.force_login(alice)
    token = browser.get("/api/v1/datasets", HTTP_ACCEPT="text/html").cookies["csrftoken"].value
    form_data = {"csrfmiddlewaretoken": token, "selected_metrics": SELECTED, "name": "from a browser"}
    form_data["file"] = SimpleUploadedFile("page.csv", csv_rows(3), content_type="text/csv")
    response = browser.post("/api/v1/datasets", form_data, HTTP_ACCEPT="text/html")
    assert response.status_code == 201, response.content[:500]
    assert Dataset.objects.get().name == "from a browser"
    assert list(upload_dir.iterdir()) == []


# The same answers whatever the order.

SCENARIOS = {
    "stored": ({}, csv_rows(3)),
    "bad metrics": ({"selected_metrics": "{not json"}, csv_rows(3)),
    "unknown collection": ({"data_collection_id": "999999"}, csv_rows(3)),
    "a bad row mid-file": ({}, csv_rows(30_000) + b"one,two,three\n" + csv_rows(10)[21:]),
    "a bad name": ({"name": " "}, csv_rows(3)),
    "bad mappings": ({"column_mappings": json.dumps({"nothing": "x"})}, csv_rows(3)),
    "an empty file": ({}, b""),
    "a workbook": ({}, xlsx_bytes(["prompt", "output"], ["hello", "world"])),
    "JSON Lines": ({}, b'{"prompt": "a"}\n{"prompt": "b"}\n'),
    "a semicolon file": ({"delimiter": ";"}, b"prompt;output\nx;y\n"),
    "a NUL in a field": ({"name": "a\x00b"}, csv_rows(3)),
    "a dry run with problems": ({"dry_run": "true"}, csv_rows(5) + b"x\n"),
    "legacy encoding": ({}, b"prompt\ncaf\xe9\n"),
}


def normalized(value):
    if isinstance(value, dict):
        return {
            key: normalized(item)
            for key, item in value.items()
            if key not in ("id", "dataset_id", "created_at", "updated_at")
        }
    if isinstance(value, list):
        return [normalized(item) for item in value]
    return value


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_answer_is_the_same_with_the_fields_before_or_after_the_file(scenario, alice_api, upload_dir):
    extra, content = SCENARIOS[scenario]
    fields = {"selected_metrics": SELECTED, "name": "same", **extra}
    answers = []
    for fields_first in (False, True):
        parts = list(fields.items())
        file_part = ("file", ("same.csv", content))
        data = form(*parts, file_part) if fields_first else form(file_part, *parts)
        response, answer, _, _ = post(alice_api, data)
        answers.append((response.status_code, normalized(answer), response.get("Aegis-Ignored-Columns")))
        stored = list(Dataset.objects.values_list("name", "record_count"))
        Dataset.objects.all().delete()
        answers[-1] += (stored,)
    assert answers[0] == answers[1]
    assert list(upload_dir.iterdir()) == []


# Errors mid-stream leave nothing.


def test_a_body_cut_short_mid_file_is_a_400_that_leaves_nothing(alice_api, upload_dir):
    data = form(("selected_metrics", SELECTED), ("file", ("cut.csv", LARGE)))
    gone = WholeBodyInput(io.BytesIO(data[: len(data) // 2]), len(data))  # as aegis.wsgi reads a client gone
    response = alice_api.post("/api/v1/datasets", data=data, content_type=MULTIPART, **{"wsgi.input": gone})
    assert response.status_code == 400
    assert "closed the connection" in body(response)["detail"]
    assert_nothing_left(upload_dir)


@override_settings(MAX_UPLOAD_BYTES=1_000_000)
def test_a_chunked_body_past_the_limit_mid_file_is_a_413_that_leaves_nothing(wsgi, alice, upload_dir):  # noqa: F811
    data = form(("selected_metrics", SELECTED), ("file", ("big.csv", LARGE)))
    status, answer = wsgi("POST", "/api/v1/datasets", client_for(alice).raw_key, data, MULTIPART)
    assert status == 413, answer
    assert answer["detail"] == "The upload is larger than the limit of 1000000 bytes (MAX_UPLOAD_BYTES)."
    assert_nothing_left(upload_dir)


def test_a_bad_row_at_the_end_of_a_streamed_file_leaves_nothing(alice_api, upload_dir):
    data = form(("selected_metrics", SELECTED), ("file", ("bad.csv", LARGE + b"a,b,c\n")))
    response, answer, seen, length = post(alice_api, data)
    assert response.status_code == 400, answer
    assert answer["errors"]["file"] == ["Line 200002: expected 2 fields like the header, found 3."]
    assert seen and seen[0] < length
    assert_nothing_left(upload_dir)


def test_an_idempotency_key_replays_a_streamed_upload(alice_api, upload_dir):
    data = form(("selected_metrics", SELECTED), ("file", ("once.csv", csv_rows(3_000))))
    first, first_answer, _, _ = post(alice_api, data, HTTP_IDEMPOTENCY_KEY="stream-1")
    again, again_answer, _, _ = post(alice_api, data, HTTP_IDEMPOTENCY_KEY="stream-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again_answer == first_answer
    assert Dataset.objects.count() == 1
    other = form(("selected_metrics", SELECTED), ("file", ("once.csv", csv_rows(3_001))))
    refused, refused_answer, _, _ = post(alice_api, other, HTTP_IDEMPOTENCY_KEY="stream-1")
    assert refused.status_code == 422, refused_answer
    # A retry of an upload that was parsed again (a field after the file) is recognised as the same request.
    late = form(("selected_metrics", SELECTED), ("file", ("late.csv", csv_rows(3))), ("name", "late"))
    created, created_answer, _, _ = post(alice_api, late, HTTP_IDEMPOTENCY_KEY="stream-2")
    replayed, replayed_answer, _, _ = post(alice_api, late, HTTP_IDEMPOTENCY_KEY="stream-2")
    assert (created.status_code, replayed["Idempotent-Replayed"]) == (201, "true")
    assert replayed_answer == created_answer
    assert Dataset.objects.count() == 2


# Over real HTTP.


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_over_http_the_copy_runs_while_the_file_still_arrives(server, alice):  # noqa: F811
    key = client_for(alice).raw_key
    data = form(("selected_metrics", SELECTED), ("name", "arriving"), ("file", ("arriving.csv", LARGE)))
    head = "".join(f"{name}: {value}\r\n" for name, value in upload_headers(key, len(data)).items())
    head = head.replace("boundary=aegis-fault-boundary", f"boundary={BOUNDARY}") + "Prefer: return=minimal\r\n"
    client = socket.create_connection(("127.0.0.1", server.port), timeout=120)
    try:
        client.sendall(f"POST /api/v1/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
        client.sendall(data[: len(data) // 2])

        def copy_running():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND query ILIKE 'COPY %%'"
                )
                return cursor.fetchone()[0]

        wait_for(copy_running, 30, "the COPY to start before the second half of the body is sent")
        assert not Dataset.objects.exists()  # nothing is committed before the body has ended
        client.sendall(data[len(data) // 2 :])
        answer = b""
        while chunk := client.recv(65536):  # a sync worker closes the connection after its answer
            answer += chunk
    finally:
        client.close()
    assert answer.startswith(b"HTTP/1.1 201"), answer[:500]
    assert Dataset.objects.get(name="arriving").record_count == 200_000
    wait_for(lambda: not server.open_uploads(), 20, "the copy of the body to be closed")
    assert list(server.upload_dir.iterdir()) == []
    time.sleep(0.2)
    assert_quiet(server.log())
