"""Uploads cut short, against a real gunicorn on loopback: a client gone mid-body, a backend terminated mid-COPY.

The server runs aegis.wsgi (as in production) on this test database, with FILE_UPLOAD_TEMP_DIR pointed at a
directory of the test's own, so a spooled upload left behind, or still open, is seen.
"""

import http.client
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from conftest import client_for
from datasets.models import Dataset, Record
from runs.tests.processes import PROJECT_DIR, database_url, needs_postgres

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BOUNDARY = "aegis-fault-boundary"
METRICS = json.dumps({"1": {"threshold": 50, "metric_args": None}})


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log_path: Path
    upload_dir: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self) -> list[int]:
        """The master and its workers."""
        pids = [self.process.pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                if ppid == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def open_uploads(self) -> list[str]:
        """Files under the upload directory that a server process holds open (spooled uploads are unnamed, so
        they show as '(deleted)')."""
        found = []
        for pid in self.pids():
            try:
                fds = list(Path(f"/proc/{pid}/fd").iterdir())
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith(str(self.upload_dir)):
                    found.append(target)
        return found


@pytest.fixture
def server(tmp_path):
    upload_dir = tmp_path / "uploads"
    upload_dir.mkdir()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    log_path = tmp_path / "server.log"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "FILE_UPLOAD_TEMP_DIR": str(upload_dir),
        "LOG_LEVEL": "INFO",
        "CELERY_BROKER_URL": "",
        "THROTTLE_RATE": "0",
        "THROTTLE_CREATE_RATE": "0",
    }
    command = [sys.executable, "-m", "gunicorn", "aegis.wsgi", "--bind", f"fd://{listener.fileno()}"]
    command += ["--workers", "1", "--timeout", "120", "--log-level", "info", "--error-logfile", "-"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
            start_new_session=True,
        )
    listener.close()
    served = Server(port, process, log_path, upload_dir)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, _ = request(served, "GET", "/api/v1/metrics")
                if status == 401:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{served.log()[-3000:]}")
            time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        connection.close()


def request(server: Server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def multipart(content: bytes, name: str) -> bytes:
    def field(field_name: str, value: str) -> bytes:
        return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field_name}"\r\n\r\n{value}\r\n'.encode()

    head = field("selected_metrics", METRICS) + field("name", name)
    head += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}.csv"\r\n'.encode()
    head += b"Content-Type: text/csv\r\n\r\n"
    return head + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def upload_headers(key: str, length: int) -> dict:
    return {
        "Authorization": f"Bearer {key}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(length),
    }


def csv_rows(count: int) -> bytes:
    return b"output,golden_answer\n" + b"".join(b"answer %d,answer %d\n" % (i, i) for i in range(count))


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def assert_quiet(log: str) -> None:
    for sign in ("Traceback", "Internal Server Error", "Unhandled error", "Socket error processing request"):
        assert sign not in log, log[-4000:]


@pytest.mark.parametrize("ending", ["reset", "close"])
def test_a_client_gone_mid_upload_gets_no_500_and_leaves_no_temporary_file(ending, server, alice):
    key = client_for(alice).raw_key
    body = multipart(csv_rows(400_000), "half")  # about 9 MB: spooled to disk, not held in memory
    head = "".join(f"{name}: {value}\r\n" for name, value in upload_headers(key, len(body)).items())
    raw = f"POST /api/v1/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode()

    client = socket.create_connection(("127.0.0.1", server.port))
    client.sendall(raw + body[: len(body) // 2])
    wait_for(server.open_uploads, 20, "the server to spool the upload to a temporary file")
    if ending == "reset":
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # RST: the server's next read fails with ECONNRESET
    else:
        client.shutdown(socket.SHUT_WR)  # FIN: the server reads end of file, 4 MB short of Content-Length
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
        client.close()
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 400"), answer[:500]
        assert b"closed the connection" in rest.partition(b"\r\n\r\n")[2]

    wait_for(lambda: not server.open_uploads(), 20, "the temporary file to be closed")
    assert list(server.upload_dir.iterdir()) == []
    assert not Dataset.objects.exists()
    time.sleep(0.5)  # anything the worker still logs about the request
    assert_quiet(server.log())

    # The same upload sent whole is stored, and its temporary file is gone once it is.
    status, _, answer = request(server, "POST", "/api/v1/datasets", body, upload_headers(key, len(body)))
    assert status == 201, answer[:500]
    assert Dataset.objects.get().record_count == 400_000
    wait_for(lambda: not server.open_uploads(), 20, "the temporary file to be closed")
    assert list(server.upload_dir.iterdir()) == []
    assert_quiet(server.log())


def test_a_backend_terminated_mid_copy_answers_503_with_nothing_stored(server, alice):
    key = client_for(alice).raw_key
    body = multipart(csv_rows(1_000_000), "terminated")
    outcome = {}

    def send():
        outcome["response"] = request(server, "POST", "/api/v1/datasets", body, upload_headers(key, len(body)))

    def terminate_the_copy():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE 'COPY %%'"
            )
            return cursor.fetchall()

    sender = threading.Thread(target=send)
    sender.start()
    wait_for(terminate_the_copy, 60, "the upload's COPY to start")
    sender.join(60)

    status, headers, answer = outcome["response"]
    assert status == 503, answer[:500]
    assert headers["Content-Type"] == "application/json"
    assert headers["Retry-After"] == "5"
    assert json.loads(answer) == {"detail": "The database is unavailable right now. Please retry shortly."}
    assert not Dataset.objects.exists()
    assert not Record.objects.exists()
    log = server.log()
    assert_quiet(log)
    assert "Database unavailable" in log

    # The next request gets a fresh connection.
    status, _, _ = request(server, "GET", "/api/v1/datasets", headers={"Authorization": f"Bearer {key}"})
    assert status == 200
