"""The one HTTP wrapper: `<url>/api/v1`, the Bearer key, timeouts, and every failure turned into a CliError.

Creates carry an `Idempotency-Key`, the same on every attempt, and a `429` (or a `503`, or the `409` of a key whose
first request is still running) is tried again after its `Retry-After`, so a retried create never creates twice.
"""

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator

import httpx

from aegis_cli import __version__, output
from aegis_cli.config import Settings
from aegis_cli.errors import EXIT_API, EXIT_CONNECTION, CliError

API_PREFIX = "/api/v1"
# The body of a 404 from a route the server does not have (as opposed to "Run 7 not found.").
ROUTE_NOT_FOUND = "Not found."


def api_base(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith(API_PREFIX) else base + API_PREFIX


def _detail_text(detail) -> str:
    if isinstance(detail, list):  # the 422 form of some servers: [{"loc": [...], "msg": "..."}]
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(part) for part in item.get("loc", []))
                parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)


def api_error(response: httpx.Response) -> CliError:
    """The API's own words: `detail` and the per-field `errors`, with the status in front."""
    detail, errors = None, {}
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        detail = body.get("detail")
        errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
    if detail is not None:
        message = f"HTTP {response.status_code}: {_detail_text(detail)}"
    else:
        snippet = " ".join(response.text.split())[:200] if response.text else ""
        message = f"HTTP {response.status_code} {response.reason_phrase}" + (f": {snippet}" if snippet else "")
    if response.status_code == 401:
        message += " (check AEGIS_API_KEY or --api-key)"
    return CliError(message, exit_code=EXIT_API, status=response.status_code, detail=detail, errors=errors)


def is_unsupported(error: CliError) -> bool:
    """A server without the route: 405 for a path that exists with other methods, or a 404 that is not the API
    speaking about an object (no JSON detail at all, as a debug page, or only the generic one)."""
    return error.status == 405 or (error.status == 404 and error.detail in (None, ROUTE_NOT_FOUND))


# The creates of the API (POST): each attempt of one command's create sends the same Idempotency-Key.
CREATE_PATHS = frozenset({"/datasets", "/data-collections", "/runs/dataset", "/runs/custom", "/evaluate"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Statuses that mean "the same request later": too many requests, the database away for a moment, or (with an
# Idempotency-Key) the first attempt still running. Only with a Retry-After the server chose.
RETRIED_STATUSES = frozenset({429, 503, 409})
MAX_ATTEMPTS = 6
MAX_WAIT_S = 60.0


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait before trying `response`'s request again, or None when it is not one to try again."""
    if response.status_code not in RETRIED_STATUSES:
        return None
    if response.status_code == 409 and IDEMPOTENCY_HEADER not in response.request.headers:
        return None
    raw = response.headers.get("Retry-After", "").strip()
    if not raw.isdigit():
        return None
    return min(float(raw), MAX_WAIT_S)


class ApiClient:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self.base_url = api_base(settings.url)
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {settings.api_key}",
                "Accept": "application/json",
                "User-Agent": f"aegis-cli/{__version__}",
            },
            timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0)),
            # A redirect (http -> https, a moved server) is reported, not followed: following would resend the key.
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def _headers(self, method: str, path: str, minimal: bool, extra: dict | None) -> dict:
        headers = dict(extra or {})
        if minimal:
            headers["Prefer"] = "return=minimal"
        if method == "POST" and path in CREATE_PATHS:
            headers.setdefault(IDEMPOTENCY_HEADER, str(uuid.uuid4()))
        return headers

    def _send(self, send: Callable[[], httpx.Response]) -> httpx.Response:
        """`send()` until the answer is not one to try again later, waiting as the server says between attempts."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            response = send()
            wait = retry_after(response)
            if wait is None or attempt == MAX_ATTEMPTS:
                return response
            response.read()
            response.close()
            output.note(f"HTTP {response.status_code}: trying again in {wait:g}s ({attempt}/{MAX_ATTEMPTS - 1})")
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _transport_error(self, exc: httpx.TransportError) -> CliError:
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            message = f"{self.base_url} did not answer within {self.settings.timeout:g}s (raise it with --timeout)"
        else:
            reason = str(exc) or type(exc).__name__
            message = f"cannot reach the server at {self.settings.url}: {reason}"
        return CliError(message, exit_code=EXIT_CONNECTION)

    def _check(self, response: httpx.Response) -> None:
        if response.is_redirect:
            target = response.headers.get("Location", "?")
            raise CliError(
                f"the server redirected {response.request.method} {response.request.url} to {target}; "
                "point AEGIS_URL (or --url) at the final address",
                status=response.status_code,
            )
        if response.is_error:
            response.read()
            raise api_error(response)

    def request(
        self,
        method: str,
        path: str,
        *,
        minimal: bool = False,
        headers: dict | None = None,
        **kwargs,
    ):
        """The decoded JSON body, or None for an empty one (204)."""
        headers = self._headers(method, path, minimal, headers)
        try:
            response = self._send(lambda: self._http.request(method, path, headers=headers, **kwargs))
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        self._check(response)
        if not response.content:
            return None
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CliError(
                f"{method} {path} answered {response.status_code} with a body that is not JSON",
                status=response.status_code,
            ) from None

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def feature(self, method: str, path: str, *, feature: str, **kwargs):
        """A call to an endpoint that older servers lack: their 404/405 becomes "does not support"."""
        try:
            return self.request(method, path, **kwargs)
        except CliError as error:
            if is_unsupported(error):
                raise CliError(
                    f"this server does not support {feature} ({method} {API_PREFIX}{path} answered "
                    f"{error.status}); upgrade the server",
                    status=error.status,
                    detail=error.detail,
                ) from None
            raise

    @contextlib.contextmanager
    def stream(self, method: str, path: str, **kwargs) -> Iterator[httpx.Response]:
        """A response whose body is read by the caller, chunk by chunk (downloads)."""
        try:
            response = self._send(
                lambda: self._http.send(self._http.build_request(method, path, **kwargs), stream=True)
            )
            try:
                self._check(response)
                yield response
            finally:
                response.close()
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
