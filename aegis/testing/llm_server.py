"""A loopback HTTP server that answers like the OpenAI Chat Completions and Anthropic Messages APIs.

It lets the real provider SDKs run end to end (HTTP, retries, timeouts, reply parsing) with no network. Two modes:

Scripted, for tests. Nothing is answered unless a test says what to answer, so a reply can never be invented:

    with LlmServer() as server:
        server.enqueue(json_reply({"verdict": "yes"}), error_reply(429, retry_after=0.1))
        server.responder = lambda request: json_reply({"n": len(request.user)})
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test")
        ...
        assert server.requests[0].schema_name == "verdicts"

Queued replies are used first, in order, then `responder`. With neither, the server answers 500 saying so.

Benchmark, from the command line: every request gets the smallest instance of the JSON schema it sent
(`schema_filler`), after an optional fixed delay. Throughput only; the contents mean nothing.

    python -m aegis.testing.llm_server --port 0 --delay 0.2

It binds 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = [
    "LlmRequest",
    "LlmServer",
    "Reply",
    "bench_responder",
    "error_reply",
    "hang_reply",
    "json_reply",
    "schema_filler",
    "text_reply",
]

LOOPBACK = "127.0.0.1"
OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"

Api = Literal["openai", "anthropic"]
Mode = Literal["json_schema", "tool", "text"]


# --- what the server saw ---------------------------------------------------------------------------------------------


@dataclass
class LlmRequest:
    """One request as the server understood it.

    `mode` says how the caller asked for structure: "tool" when a tool call is forced (`schema_name` is the tool's
    name, `schema` its parameters), "json_schema" for OpenAI's `response_format` (also `json_object`, with no schema)
    or Anthropic's `output_config.format` (no name there), else "text".
    """

    api: Api
    path: str
    headers: dict[str, str]
    body: Any
    model: str | None
    system: str
    user: str
    schema_name: str | None
    schema: dict | None
    mode: Mode

    @property
    def api_key(self) -> str | None:
        """The key the client sent: `x-api-key`, or a bearer token (what both SDKs send now)."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token if scheme.lower() == "bearer" and token else None

    @property
    def attempt(self) -> int:
        """0 for a first try, n for the SDK's n-th retry of the same call (from the retry-count header both send)."""
        try:
            return int(self.headers.get("x-stainless-retry-count", "0"))
        except ValueError:
            return 0


def _text_of(content: Any) -> str:
    """A message's text, whether it is a string or a list of content parts/blocks (non-text parts are skipped)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type") in ("text", "input_text") and "text" in part:
                texts.append(str(part["text"]))
        return "\n\n".join(texts)
    return str(content)


def _join(messages: Iterable[Any], roles: tuple[str, ...]) -> str:
    parts = [_text_of(m.get("content")) for m in messages if isinstance(m, dict) and m.get("role") in roles]
    return "\n\n".join(p for p in parts if p)


def _parse_openai(path: str, headers: dict[str, str], body: dict) -> LlmRequest:
    messages = body.get("messages") or []
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type", "function") == "function"]
    choice = body.get("tool_choice")
    forced = None
    if isinstance(choice, dict) and choice.get("type") == "function":
        forced = (choice.get("function") or {}).get("name")
    elif choice == "required" and len(tools) == 1:
        forced = (tools[0].get("function") or {}).get("name")

    name, schema, mode = None, None, "text"
    response_format = body.get("response_format") or {}
    if forced:
        mode, name = "tool", forced
        for tool in tools:
            function = tool.get("function") or {}
            if function.get("name") == forced:
                schema = function.get("parameters")
    elif response_format.get("type") == "json_schema":
        json_schema = response_format.get("json_schema") or {}
        mode, name, schema = "json_schema", json_schema.get("name"), json_schema.get("schema")
    elif response_format.get("type") == "json_object":
        mode = "json_schema"

    return LlmRequest(
        api="openai",
        path=path,
        headers=headers,
        body=body,
        model=body.get("model"),
        system=_join(messages, ("system", "developer")),
        user=_join(messages, ("user",)),
        schema_name=name,
        schema=schema,
        mode=mode,
    )


def _parse_anthropic(path: str, headers: dict[str, str], body: dict) -> LlmRequest:
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and "input_schema" in t]
    choice = body.get("tool_choice") or {}
    forced = None
    if isinstance(choice, dict) and choice.get("type") == "tool":
        forced = choice.get("name")
    elif isinstance(choice, dict) and choice.get("type") == "any" and len(tools) == 1:
        forced = tools[0].get("name")

    name, schema, mode = None, None, "text"
    # `output_config.format` is the current parameter; a top-level `output_format` is the older beta spelling.
    output_format = (body.get("output_config") or {}).get("format") or body.get("output_format") or {}
    if forced:
        mode, name = "tool", forced
        for tool in tools:
            if tool.get("name") == forced:
                schema = tool.get("input_schema")
    elif isinstance(output_format, dict) and output_format.get("type") == "json_schema":
        mode, schema = "json_schema", output_format.get("schema")

    return LlmRequest(
        api="anthropic",
        path=path,
        headers=headers,
        body=body,
        model=body.get("model"),
        system=_text_of(body.get("system")),
        user=_join(body.get("messages") or [], ("user",)),
        schema_name=name,
        schema=schema,
        mode=mode,
    )


# --- what to answer --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What to answer one request with; build it with `json_reply`, `text_reply`, `error_reply` or `hang_reply`."""

    kind: Literal["json", "text", "error"]
    value: Any = None
    tokens_in: int = 100
    tokens_out: int = 20
    delay: float = 0.0
    truncated: bool = False
    status: int = 200
    message: str = ""
    retry_after: float | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())


def json_reply(obj: Any, tokens_in: int = 100, tokens_out: int = 20, delay: float = 0.0, truncated: bool = False):
    """`obj` as the model's structured answer, in the request's mode: the message content as a JSON string, the
    forced tool call's arguments (OpenAI), or the tool_use block's input (Anthropic).

    `truncated` reports the output as cut at max_tokens (finish_reason "length", stop_reason "max_tokens").
    """
    return Reply("json", obj, tokens_in=tokens_in, tokens_out=tokens_out, delay=delay, truncated=truncated)


def text_reply(text: str, tokens_in: int = 100, tokens_out: int = 20, delay: float = 0.0, truncated: bool = False):
    """`text` verbatim where the JSON would go, e.g. prose or broken JSON. For OpenAI in tool mode it becomes the
    tool call's `arguments`; Anthropic's tool_use input must be an object, so there it is a text block instead,
    as when a model answers without calling the tool."""
    return Reply("text", str(text), tokens_in=tokens_in, tokens_out=tokens_out, delay=delay, truncated=truncated)


def error_reply(
    status: int,
    message: str = "simulated provider error",
    retry_after: float | None = None,
    delay: float = 0.0,
    should_retry: bool | None = None,
):
    """An error in the provider's own JSON shape. `retry_after` adds a `Retry-After` header (seconds; both SDKs take
    fractions). `should_retry` sets the `x-should-retry` header, which both SDKs obey over the status code."""
    headers = () if should_retry is None else (("x-should-retry", "true" if should_retry else "false"),)
    return Reply("error", status=status, message=message, retry_after=retry_after, delay=delay, headers=headers)


def hang_reply(seconds: float, then: Reply | None = None):
    """Wait `seconds` before answering (200 with an empty text unless `then` says otherwise), to trip a client's
    timeout. Only this request's thread waits, and stopping the server cuts the wait short."""
    return replace(then or text_reply(""), delay=float(seconds))


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def _answer_text(reply: Reply) -> str:
    if reply.kind == "json":
        return json.dumps(reply.value, ensure_ascii=False)
    return reply.value


def _render_openai(request: LlmRequest, reply: Reply) -> dict:
    text = _answer_text(reply)
    if request.mode == "tool":
        call = {
            "id": _new_id("call_"),
            "type": "function",
            "function": {"name": request.schema_name, "arguments": text},
        }
        message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}
        finish = "length" if reply.truncated else "tool_calls"
    else:
        message = {"role": "assistant", "content": text, "refusal": None}
        finish = "length" if reply.truncated else "stop"
    return {
        "id": _new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model or "test-model",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": reply.tokens_in,
            "completion_tokens": reply.tokens_out,
            "total_tokens": reply.tokens_in + reply.tokens_out,
        },
        "system_fingerprint": None,
    }


def _render_anthropic(request: LlmRequest, reply: Reply) -> dict:
    if request.mode == "tool" and reply.kind == "json":
        content = [{"type": "tool_use", "id": _new_id("toolu_"), "name": request.schema_name, "input": reply.value}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": _answer_text(reply)}]
        stop = "end_turn"
    return {
        "id": _new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": request.model or "test-model",
        "content": content,
        "stop_reason": "max_tokens" if reply.truncated else stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": reply.tokens_in,
            "output_tokens": reply.tokens_out,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


_OPENAI_ERROR_TYPES = {401: ("invalid_request_error", "invalid_api_key"), 429: ("requests", "rate_limit_exceeded")}
_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def _error_body(api: Api, status: int, message: str) -> dict:
    if api == "anthropic":
        kind = _ANTHROPIC_ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return {"type": "error", "error": {"type": kind, "message": message}, "request_id": _new_id("req_")}
    kind, code = _OPENAI_ERROR_TYPES.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


# --- the HTTP side ---------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    # A reply goes out as two writes (headers, then body); with Nagle on, the body waits for the client's delayed
    # ACK of the headers, which adds ~40 ms to every reply and would make a benchmark's delay a lie.
    disable_nagle_algorithm = True
    timeout = 60  # an idle kept-alive connection's thread ends eventually even if the client never closes it
    server: _HttpServer

    def log_message(self, format, *args):
        pass

    def setup(self):
        super().setup()
        self.server.owner._track(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.owner._untrack(self.connection)

    def do_GET(self):
        self._send_error("openai", 404, f"no route for GET {self.path}")

    def do_POST(self):
        owner = self.server.owner
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        owner._enter()
        try:
            self._handle(owner, raw)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout); nothing to tell it
        finally:
            owner._leave()

    def _handle(self, owner: LlmServer, raw: bytes) -> None:
        path = urlsplit(self.path).path
        api: Api | None = {OPENAI_PATH: "openai", ANTHROPIC_PATH: "anthropic"}.get(path)
        if api is None:
            return self._send_error("openai", 404, f"no route for POST {path}")
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return self._send_error(api, 400, "the request body is not JSON")
        if not isinstance(body, dict):
            return self._send_error(api, 400, "the request body is not a JSON object")
        if body.get("stream"):
            return self._send_error(api, 400, "this test server does not stream; call without stream=True")

        headers = {key.lower(): value for key, value in self.headers.items()}
        request = (_parse_openai if api == "openai" else _parse_anthropic)(path, headers, body)
        owner._record(request)

        reply, problem = owner._reply_for(request)
        if reply is None:
            return self._send_error(api, 500, problem)
        if reply.delay > 0 and not self._wait(owner, reply.delay):
            self.close_connection = True  # shutting down, or the client gave up: nobody is waiting for the answer
            return
        if reply.kind == "error":
            extra = list(reply.headers)
            if reply.retry_after is not None:
                extra.append(("Retry-After", _format_seconds(reply.retry_after)))
            return self._send_json(reply.status, _error_body(api, reply.status, reply.message), extra)
        rendered = (_render_openai if api == "openai" else _render_anthropic)(request, reply)
        self._send_json(200, rendered, list(reply.headers))

    def _wait(self, owner: LlmServer, seconds: float) -> bool:
        """Sleep, in short slices so that a stopping server or a client that hung up ends the wait (an abandoned
        request would otherwise go on counting as in flight). False if the wait was cut short."""
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as selector:  # not select(): benchmarks may hold more than 1024 sockets
            selector.register(self.connection, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0:
                if owner._stopping.is_set():
                    return False
                if selector.select(min(left, 0.05)):
                    try:
                        if not self.connection.recv(1, socket.MSG_PEEK):
                            return False  # end of stream: the client closed its side
                    except OSError:
                        return False
                    return not owner._stopping.wait(max(0.0, deadline - time.monotonic()))  # a pipelined request
        return True

    def _send_error(self, api: Api, status: int, message: str) -> None:
        # The test's setup is wrong, not the provider busy: a retry cannot help and would only slow the test down.
        self._send_json(status, _error_body(api, status, message), [("x-should-retry", "false")])

    def _send_json(self, status: int, body: dict, headers: list[tuple[str, str]]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        request_id = _new_id("req_")
        self.send_header("x-request-id", request_id)
        self.send_header("request-id", request_id)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once
    owner: LlmServer


class LlmServer:
    """The server; see the module docstring. Use as a context manager, or call `start()` and `stop()`."""

    def __init__(self, port: int = 0, *, record: bool = True):
        self.responder: Callable[[LlmRequest], Reply] | None = None
        self._port = port
        self._record_requests = record
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[LlmRequest] = []
        self._errors: list[str] = []
        self._request_count = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # scripting

    def enqueue(self, *replies: Reply) -> None:
        """Replies for the next requests, in order, before `responder` is asked."""
        for reply in replies:
            if not isinstance(reply, Reply):
                raise TypeError(
                    f"enqueue takes Reply objects (json_reply, text_reply, ...), not {type(reply).__name__}"
                )
        with self._lock:
            self._queue.extend(replies)

    def reset(self) -> None:
        """Back to as new: no queued replies, no responder, no records."""
        with self._lock:
            self.responder = None
            self._queue.clear()
            self._requests.clear()
            self._errors.clear()
            self._request_count = 0
            self._max_in_flight = 0  # a request still finishing after the reset is not counted again

    # records

    @property
    def requests(self) -> list[LlmRequest]:
        """The requests received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._request_count

    @property
    def max_in_flight(self) -> int:
        """The most requests the server was handling at one moment."""
        with self._lock:
            return self._max_in_flight

    @property
    def errors(self) -> list[str]:
        """Tracebacks of responder failures (each was answered with a 500 that says so)."""
        with self._lock:
            return list(self._errors)

    @property
    def pending(self) -> int:
        """Queued replies not used yet."""
        with self._lock:
            return len(self._queue)

    # addresses

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.base_url

    # life cycle

    def start(self) -> LlmServer:
        if self._httpd is not None:
            raise RuntimeError("the server is already started")
        self._stopping.clear()
        self._httpd = _HttpServer((LOOPBACK, self._port), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="llm-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes delayed and hung replies
        self._httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # kept-alive connections would otherwise idle until their timeout
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> LlmServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # called from the handler threads

    def _track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _record(self, request: LlmRequest) -> None:
        with self._lock:
            self._request_count += 1
            if self._record_requests:
                self._requests.append(request)

    def _reply_for(self, request: LlmRequest) -> tuple[Reply | None, str]:
        with self._lock:
            if self._queue:
                return self._queue.popleft(), ""
            responder = self.responder
        if responder is None:
            return None, (
                f"LlmServer: no reply scripted for this {request.api} request (mode {request.mode}, "
                f"schema {request.schema_name!r}); use server.enqueue(json_reply(...)) or set server.responder"
            )
        try:
            reply = responder(request)
        except Exception:
            trace = traceback.format_exc()
            with self._lock:
                self._errors.append(trace)
            return None, f"LlmServer: the responder raised:\n{trace}"
        if not isinstance(reply, Reply):
            problem = f"LlmServer: the responder returned {type(reply).__name__}, not a Reply (json_reply, ...)"
            with self._lock:
                self._errors.append(problem)
            return None, problem
        return reply, ""


# --- benchmark mode --------------------------------------------------------------------------------------------------
# Kept apart from the scripted mode on purpose: tests must say what the model answers, benchmarks only need shapes.


def schema_filler(schema: Any, root: Any = None) -> Any:
    """The smallest instance that validates against `schema`: required properties only, one item per array (or
    minItems), the first enum value or anyOf branch, "x" for strings, the lowest allowed number. Handles local
    `$ref`s; ignores `pattern`. Meant for throughput runs, where the content of a reply does not matter."""
    root = schema if root is None else root
    if not isinstance(schema, dict):
        return None  # `true`/`{}`-like schemas accept anything
    if "$ref" in schema:
        return schema_filler(_resolve_ref(root, schema["$ref"]), root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return schema_filler(schema[key][0], root)
    if schema.get("allOf"):
        parts = [schema_filler(part, root) for part in schema["allOf"]]
        if all(isinstance(part, dict) for part in parts):
            merged: dict = {}
            for part in parts:
                merged.update(part)
            return merged
        return parts[0]

    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"

    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: schema_filler(properties.get(name, {}), root) for name in schema.get("required") or []}
    if kind == "array":
        count = max(int(schema.get("minItems", 0)), 1)
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        prefix = schema.get("prefixItems") or []
        items = [schema_filler(prefix[i], root) if i < len(prefix) else None for i in range(count)]
        for i in range(len(prefix), count):
            items[i] = schema_filler(schema.get("items", {}), root)
        return items
    if kind == "string":
        return _fill_string(schema)
    if kind in ("integer", "number"):
        return _fill_number(schema, integer=kind == "integer")
    if kind == "boolean":
        return False
    return None


def _resolve_ref(root: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported, not {ref!r}")
    node = root
    for token in filter(None, ref[1:].split("/")):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


_FORMATS = {"date-time": "1970-01-01T00:00:00Z", "date": "1970-01-01", "time": "00:00:00Z", "email": "x@example.com"}


def _fill_string(schema: dict) -> str:
    value = _FORMATS.get(schema.get("format"), "x")
    low = int(schema.get("minLength", 0))
    if len(value) < low:
        value = value + "x" * (low - len(value))
    if "maxLength" in schema:
        value = value[: int(schema["maxLength"])]
    return value


def _fill_number(schema: dict, integer: bool) -> int | float:
    value: float = 0
    if "minimum" in schema:
        value = schema["minimum"]
    elif "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
        value = schema["exclusiveMinimum"] + (1 if integer else 1e-9)
    elif "maximum" in schema and schema["maximum"] < 0:
        value = schema["maximum"]
    if integer:
        return int(math.ceil(value))
    return float(value)


def bench_responder(delay: float = 0.0) -> Callable[[LlmRequest], Reply]:
    """Answers anything: the schema's smallest instance (or "x" for plain text), token counts roughly from the size."""

    def respond(request: LlmRequest) -> Reply:
        tokens_in = max(1, (len(request.system) + len(request.user)) // 4)
        if request.mode == "text":
            return text_reply("x", tokens_in=tokens_in, tokens_out=1, delay=delay)
        value = schema_filler(request.schema if request.schema is not None else {"type": "object"})
        return json_reply(value, tokens_in=tokens_in, tokens_out=max(1, len(json.dumps(value)) // 4), delay=delay)

    return respond


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aegis.testing.llm_server",
        description="Serve OpenAI- and Anthropic-shaped replies on 127.0.0.1 for benchmarks. Prints the base URL "
        "(the OpenAI base URL is it plus /v1), then serves until interrupted or --lifetime runs out.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind on 127.0.0.1 (0: any free one)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each reply")
    parser.add_argument("--lifetime", type=float, default=None, help="stop by itself after this many seconds")
    args = parser.parse_args(argv)

    server = LlmServer(port=args.port, record=False)
    server.responder = bench_responder(delay=args.delay)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with server:
        print(server.base_url, flush=True)
        print(
            f"OPENAI_BASE_URL={server.openai_base_url} ANTHROPIC_BASE_URL={server.anthropic_base_url}",
            file=sys.stderr,
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            done.wait(args.lifetime)
        print(f"served {server.request_count} requests, at most {server.max_in_flight} at once", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
