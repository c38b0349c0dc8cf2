"""Idempotent retries of the create endpoints: the `Idempotency-Key` request header.

A client that got no answer (a timeout, a dropped connection) sends the same request again with the same key and gets
the first answer back, marked `Idempotent-Replayed: true`, instead of a second object.

- A key is the authenticated user's and lives IDEMPOTENCY_KEY_TTL (24 hours); past that it is a new key.
- A request is identified by a SHA-256 of its method, path, query, Content-Type, Prefer and body. The body is digested
  as the parsers read it, so an upload is never held in memory, and a multipart boundary counts as a fixed token:
  clients draw a new one at random for every attempt. The same key on a different request is a 422 naming the key.
- A request that arrives while the first with its key runs gets a 409 with Retry-After rather than waiting: a wait
  would hold a worker as long as the first takes, minutes for a large upload. The database's unique (user, key)
  constraint decides which request runs, so this holds across processes.
- Kept for retries: 2xx, and the 4xx that the request itself decides (400, 404, 415, 422). Not kept, so a retry runs
  again: 5xx, and what depends on the caller's situation rather than on the request: 401, 402, 403, 409, 429, and 413
  (answered before the body is read).
- A body of up to IDEMPOTENCY_MAX_STORED_BYTES is kept whole. A larger one (a dataset of a million records streams a
  gigabyte), or one whose delivery broke off, is not: its retries get a 409 whose Location names the created object,
  to be read with GET. A shortened body under the original 201 would pass for the whole object.

aegis imports no domain app: the keys are kept by the store that IDEMPOTENCY_STORE names (accounts.idempotency, since
a key belongs to a user), through the small `Store` interface below.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.utils.http import parse_header_parameters
from rest_framework import exceptions, status
from rest_framework.response import Response

from aegis.exceptions import RequestShapeError, error_body

logger = logging.getLogger("aegis.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[\x20-\x7e]{1,255}")
# The headers that carry meaning in a create's answer; the rest are added again by the stack on a replay.
KEPT_HEADERS = ("Content-Type", "Location", "Preference-Applied", "Vary", "Aegis-Ignored-Columns")
NOT_KEPT = frozenset({401, 402, 403, 409, 413, 429})
# Marks a handler as a create: idempotent here, and counted against THROTTLE_CREATE_RATE by aegis.throttling.
IS_CREATE = "aegis_is_create"
_CHUNK = 64 * 1024
_BOUNDARY_TOKEN = b"\x00boundary\x00"


@dataclass(frozen=True)
class Outcome:
    """A finished request's answer, as kept for its retries."""

    fingerprint: str
    status: int
    headers: dict[str, str]
    body: bytes | None  # None: too large to keep, or not delivered in full
    body_size: int


@dataclass(frozen=True)
class Claim:
    """A key as the store found it: claimed for this request (`token`), finished (`outcome`), or neither: running."""

    token: int | None = None
    outcome: Outcome | None = None


class Store(Protocol):
    def claim(self, *, user, key: str, now: datetime, expires_at: datetime) -> Claim: ...

    def complete(self, *, token: int, outcome: Outcome, now: datetime) -> None: ...

    def release(self, *, token: int) -> None: ...

    def is_known(self, *, user, key: str, now: datetime) -> bool: ...


def get_store() -> Store:
    return cast(Store, importlib.import_module(settings.IDEMPOTENCY_STORE))


class KeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_progress"
    wait = 1  # seconds, sent as Retry-After by the exception handler


def request_key(request) -> str | None:
    """The request's Idempotency-Key, or None without one; a malformed one is a 422."""
    key = request.headers.get(HEADER)
    if key is not None and not KEY_PATTERN.fullmatch(key):
        message = "must be 1-255 printable ASCII characters."
        raise RequestShapeError(f"{HEADER} {message}", errors={HEADER: [message]})
    return key


def answered_from_store(request) -> bool:
    """Whether this request's key already has a request behind it, so that this one will create nothing."""
    try:
        key = request_key(request)
    except RequestShapeError:
        return False
    return key is not None and get_store().is_known(user=request.user, key=key, now=timezone.now())


def idempotent(handler):
    """Makes a create view's handler honour Idempotency-Key. The handler runs after authentication."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request_key(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        return _Execution(view, request, key).run(lambda: handler(view, request, *args, **kwargs))

    setattr(wrapper, IS_CREATE, True)
    return wrapper


class _Digest:
    """SHA-256 of what identifies a request. The body goes in as it is read, each multipart boundary as one token."""

    def __init__(self, request):
        media_type, params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
        boundary = params.pop("boundary", "") if media_type.startswith("multipart/") else ""
        head = [
            request.method,
            request.path_info,
            request.META.get("QUERY_STRING", ""),
            media_type,
            sorted(params.items()),
            request.headers.get("Prefer", ""),
        ]
        self._hash = hashlib.sha256(json.dumps(head).encode() + b"\n")
        self._pattern = b"--" + boundary.encode("latin-1") if boundary else b""
        self._tail = b""  # what could be the start of a boundary cut by a read

    def update(self, data: bytes) -> None:
        if not self._pattern:
            self._hash.update(data)
            return
        *pieces, rest = (self._tail + data).split(self._pattern)
        for piece in pieces:
            self._hash.update(piece)
            self._hash.update(_BOUNDARY_TOKEN)
        keep = len(self._pattern) - 1
        if len(rest) > keep:
            self._hash.update(rest[:-keep])
            rest = rest[-keep:]
        self._tail = rest

    def hexdigest(self) -> str:
        final = self._hash.copy()
        final.update(self._tail)
        return final.hexdigest()


class _DigestingStream:
    """The request body as the parsers read it, every byte also going into the digest."""

    def __init__(self, inner, digest: _Digest):
        self._inner = inner
        self._digest = digest

    def read(self, *args):
        data = self._inner.read(*args)
        self._digest.update(data)
        return data

    def readline(self, *args):
        data = self._inner.readline(*args)
        self._digest.update(data)
        return data

    def fingerprint(self) -> str:
        """The digest of the whole request, after reading what the view left unread (or never read)."""
        while self.read(_CHUNK):
            pass
        return self._digest.hexdigest()

    def close(self):
        self._inner.close()

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _Execution:
    """One request carrying a key: claim the key, then replay, refuse, or run the handler and keep its answer."""

    def __init__(self, view, request, key: str):
        self.view = view
        self.request = request
        self.key = key
        self.store = get_store()

    def run(self, call):
        stream = self._digest_body()
        now = timezone.now()
        claim = self.store.claim(
            user=self.request.user, key=self.key, now=now, expires_at=now + settings.IDEMPOTENCY_KEY_TTL
        )
        if claim.token is None:
            if claim.outcome is None:
                raise KeyInProgress(f"A request with {HEADER} {self.key!r} is in progress; retry when it has finished.")
            return self._replay(claim.outcome, stream.fingerprint())
        try:
            try:
                response = call()
            except Exception as exc:
                # Rendered here rather than by dispatch, so that an error the request caused is kept like a success.
                response = self.view.handle_exception(exc)
            if response.status_code in NOT_KEPT or not 200 <= response.status_code < 500:
                self.store.release(token=claim.token)
                return response
            _Recorder(self.store, claim.token, stream.fingerprint(), response).attach()
            return response
        except BaseException:
            self.store.release(token=claim.token)
            raise

    def _digest_body(self) -> _DigestingStream:
        django_request = self.request._request
        if django_request._read_started:
            # Only the browsable API's CSRF check reads a multipart body this early (API keys need no CSRF check).
            raise RequestShapeError(f"{HEADER} needs an API key on this request: its body was read before the key.")
        stream = _DigestingStream(django_request._stream, _Digest(django_request))
        django_request._stream = stream
        return stream

    def _replay(self, outcome: Outcome, fingerprint: str) -> HttpResponse:
        if fingerprint != outcome.fingerprint:
            message = "was already used for a different request (method, path, Content-Type, Prefer or body)."
            raise RequestShapeError(
                f"{HEADER} {self.key!r} {message} Send a new key with a new request.", errors={HEADER: [message]}
            )
        if outcome.body is None:
            response = self._not_kept(outcome)
        else:
            response = HttpResponse(outcome.body, status=outcome.status)
            for name, value in outcome.headers.items():
                response[name] = value
        response[REPLAYED_HEADER] = "true"
        return response

    def _not_kept(self, outcome: Outcome) -> Response:
        location = outcome.headers.get("Location")
        detail = (
            f"The request with {HEADER} {self.key!r} already finished with status {outcome.status}, but its "
            f"{outcome.body_size}-byte response was not kept (larger than IDEMPOTENCY_MAX_STORED_BYTES, or not "
            "delivered in full)."
        )
        if location:
            detail += f" The object it created is at {location}: GET it."
        headers = {"Location": location} if location else None
        return Response(error_body(detail), status=status.HTTP_409_CONFLICT, headers=headers)


class _Recorder:
    """Keeps a response for the key once its body is known: at render, at the end of a stream, or at once."""

    def __init__(self, store: Store, token: int, fingerprint: str, response: HttpResponse):
        self.store = store
        self.token = token
        self.fingerprint = fingerprint
        self.response = response
        self.limit = settings.IDEMPOTENCY_MAX_STORED_BYTES

    def attach(self) -> None:
        response = self.response
        if isinstance(response, StreamingHttpResponse):
            response.streaming_content = _RecordedStream(response.streaming_content, self.limit, self.finish)
        elif isinstance(response, SimpleTemplateResponse):
            response.add_post_render_callback(lambda rendered: self.finish(rendered.content, len(rendered.content)))
        else:
            self.finish(response.content, len(response.content))

    def finish(self, body: bytes | None, size: int) -> None:
        # Headers are read now, not when the handler returned: the view's finalize_response sets some of them.
        headers = {name: self.response[name] for name in KEPT_HEADERS if self.response.has_header(name)}
        outcome = Outcome(
            fingerprint=self.fingerprint,
            status=self.response.status_code,
            headers=headers,
            body=body if body is not None and size <= self.limit else None,
            body_size=size,
        )
        try:
            self.store.complete(token=self.token, outcome=outcome, now=timezone.now())
        except Exception:
            # The client has its answer; failing it now would not undo the create. The key stays in progress.
            logger.exception("Could not keep the response for an Idempotency-Key")


class _RecordedStream:
    """A streamed body passed through to the client, with its first `limit` bytes kept for replays."""

    def __init__(self, chunks, limit: int, on_end):
        self._chunks = iter(chunks)
        self._kept: bytearray | None = bytearray()
        self._size = 0
        self._limit = limit
        self._on_end = on_end
        self._ended = False

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._end(complete=True)
            raise
        except BaseException:
            self._end(complete=False)
            raise
        self._size += len(chunk)
        if self._kept is not None:
            if self._size <= self._limit:
                self._kept += chunk
            else:
                self._kept = None
        return chunk

    def close(self) -> None:
        """Called when the server is done with the response, after the last chunk or when the client went away."""
        self._end(complete=False)

    def _end(self, *, complete: bool) -> None:
        if self._ended:
            return
        self._ended = True
        self._on_end(bytes(self._kept) if complete and self._kept is not None else None, self._size)
