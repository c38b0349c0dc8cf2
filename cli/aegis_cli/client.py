"""The one HTTP wrapper: `<url>/api/v1`, the Bearer key, timeouts, and every failure turned into a CliError."""

import contextlib
import json
from collections.abc import Iterator

import httpx

from aegis_cli import __version__
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


class ApiClient:
    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
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

    def _headers(self, minimal: bool, extra: dict | None) -> dict:
        headers = dict(extra or {})
        if minimal:
            headers["Prefer"] = "return=minimal"
        return headers

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
        try:
            response = self._http.request(method, path, headers=self._headers(minimal, headers), **kwargs)
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
            with self._http.stream(method, path, **kwargs) as response:
                self._check(response)
                yield response
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
