"""The HTTP side: multipart uploads framed by hand (with a Content-Length, or chunked), GETs, and their replies."""

import http.client
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import harness

SELECTED_METRICS = '{"1":{"threshold":70}}'
CHUNK = 1 << 20


@dataclass
class Reply:
    status: int
    seconds: float
    body_bytes: int
    head: bytes  # the first bytes of the body, for the dataset id and error messages
    sent: float | None = None  # seconds until the request body was fully sent (the server had read it)


def read_reply(connection: http.client.HTTPConnection, started: float, sent: float | None = None) -> Reply:
    response = connection.getresponse()
    head, total = b"", 0
    while chunk := response.read(CHUNK):
        if len(head) < 4096:
            head += chunk[: 4096 - len(head)]
        total += len(chunk)
    return Reply(response.status, time.perf_counter() - started, total, head, sent)


def _file_chunks(csv_path: Path) -> Iterator[bytes]:
    with csv_path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def multipart_upload(
    port: int, key: str, csv_path: Path, *, fields: dict[str, str], minimal: bool = False, chunked: bool = False
) -> Reply:
    """POST the form `fields` and the CSV as multipart/form-data, sent in chunks (the file is never held in
    memory): with a Content-Length, or with `Transfer-Encoding: chunked` as a client that does not know the size
    sends it."""
    content_type, head, tail = harness.multipart_framing(fields, csv_path.name)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(len(head) + csv_path.stat().st_size + len(tail))
    if minimal:
        headers["Prefer"] = "return=minimal"

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    try:
        started = time.perf_counter()
        connection.putrequest("POST", "/api/v1/datasets")
        for header, value in headers.items():
            connection.putheader(header, value)
        try:
            if chunked:
                connection.endheaders()
                for chunk in (head, *_file_chunks(csv_path), tail):
                    connection.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                connection.send(b"0\r\n\r\n")
            else:
                connection.endheaders(head)
                for chunk in _file_chunks(csv_path):
                    connection.send(chunk)
                connection.send(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (an error); read that answer below
        return read_reply(connection, started, time.perf_counter() - started)
    finally:
        connection.close()


def get(port: int, key: str, path: str) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {key}"})
        return read_reply(connection, started)
    finally:
        connection.close()


def expect(reply: Reply, status: int, what: str) -> None:
    if reply.status != status:
        raise RuntimeError(f"{what}: HTTP {reply.status}, expected {status}: {reply.head[:1000]!r}")


def dataset_id_of(reply: Reply) -> int:
    """The id is the first key of the streamed object: '{"id":123,...'."""
    text = reply.head.decode("utf-8", "replace")
    return int(text.split('"id":', 1)[1].split(",", 1)[0])
