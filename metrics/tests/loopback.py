"""Loopback servers that record whether anything reached them: proof that an evaluation made no request."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SCHEMA_BODY = b'{"type": "string"}'


class RecordingServer:
    """An HTTP server on 127.0.0.1 (a free port) that answers every GET with a small JSON Schema and records it."""

    def __init__(self):
        self.requests: list[str] = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server dispatches to
                recorded.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(SCHEMA_BODY)))
                self.end_headers()
                self.wfile.write(SCHEMA_BODY)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()


class SilentServer:
    """A listening socket on 127.0.0.1 that never answers; `connections()` counts who knocked."""

    def __init__(self):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.setblocking(False)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def connections(self) -> int:
        count = 0
        while True:
            try:
                connection, _ = self._socket.accept()
            except BlockingIOError:
                return count
            connection.close()
            count += 1

    def close(self) -> None:
        self._socket.close()


@pytest.fixture
def recording_server():
    with RecordingServer() as server:
        yield server


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()
