"""One mapping from every error to a JSON body: {"detail": "...", "errors": {...}}.

Request-shape problems are 422, business-rule problems 400, invisible objects 404, forbidden actions 403.
No HTML page and no traceback ever reaches an API client.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError, connection
from django.http import Http404, JsonResponse, UnreadablePostError
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from aegis import errors as domain

logger = logging.getLogger("aegis.errors")


class RequestShapeError(exceptions.APIException):
    """The request itself is malformed: a missing part, a wrong type, a bad query parameter."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request is not valid."
    default_code = "invalid_request"

    def __init__(self, detail=None, errors=None):
        super().__init__(detail)
        self.errors = errors


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"

    def __init__(self, detail=None, errors=None):
        super().__init__(detail)
        self.errors = errors


class ClientGone(exceptions.APIException):
    """The body stopped before its end: the client reset or closed the connection mid-upload. Nobody reads the
    answer, so it is a plain 400 and no error in the log."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request body ended before its Content-Length: the client closed the connection."
    default_code = "client_gone"


DATABASE_RETRY_AFTER_S = 5


class DatabaseUnavailable(exceptions.APIException):
    """The connection to the database was lost or refused mid-request (a restart, a failover, a terminated
    backend). The open transaction died with it, so a write in progress left nothing behind."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable right now. Please retry shortly."
    default_code = "database_unavailable"
    wait = DATABASE_RETRY_AFTER_S


def _flatten(errors):
    """DRF error structures, reduced to {field: [messages]} with plain strings."""
    if isinstance(errors, dict):
        flat = {}
        for key, value in errors.items():
            if isinstance(value, dict):
                for sub_key, sub_value in _flatten(value).items():
                    flat[f"{key}.{sub_key}"] = sub_value
            else:
                flat[str(key)] = [str(item) for item in (value if isinstance(value, list) else [value])]
        return flat
    return {"non_field_errors": [str(item) for item in (errors if isinstance(errors, list) else [errors])]}


def error_body(detail, errors=None) -> dict:
    body = {"detail": str(detail)}
    if errors:
        body["errors"] = _flatten(errors)
    return body


def _database_unavailable(exc) -> bool:
    """Connection lost or refused, as Django raises it, or as the driver does under code that uses its cursor."""
    driver = connection.Database
    return isinstance(exc, (OperationalError, InterfaceError, driver.OperationalError, driver.InterfaceError))


# The one place that knows what a domain error answers.
DOMAIN_STATUSES = {
    domain.BusinessRuleError: status.HTTP_400_BAD_REQUEST,
    domain.PaymentRequired: status.HTTP_402_PAYMENT_REQUIRED,
    domain.Forbidden: status.HTTP_403_FORBIDDEN,
    domain.NotFound: status.HTTP_404_NOT_FOUND,
    domain.DomainError: status.HTTP_400_BAD_REQUEST,
}


class _DomainRefusal(exceptions.APIException):
    def __init__(self, error: domain.DomainError):
        super().__init__(error.detail)
        self.status_code = next(code for kind, code in DOMAIN_STATUSES.items() if isinstance(error, kind))
        self.errors = error.errors


def _translate(exc):
    """Domain, Django and parsing exceptions, as the API exceptions that carry their status."""
    if isinstance(exc, domain.DomainError):
        return _DomainRefusal(exc)
    if isinstance(exc, Http404):
        return exceptions.NotFound("Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, TooManyFieldsSent):
        return RequestShapeError("The request has too many fields.")
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError("The request could not be read.")
    if isinstance(exc, DjangoValidationError):
        return _DomainRefusal(domain.BusinessRuleError("; ".join(exc.messages)))
    if isinstance(exc, UnreadablePostError):
        logger.info("Request body not read: %s", exc)
        return ClientGone()
    if _database_unavailable(exc):
        logger.error("Database unavailable: %s", exc)
        return DatabaseUnavailable()
    if isinstance(exc, DataError):
        # Every input is checked before it reaches the database; this is the net under those checks, not a 500.
        logger.warning("Database refused a value: %s", exc)
        return RequestShapeError("The request contains a value the database cannot store.")
    if isinstance(exc, exceptions.ParseError):
        # A body that cannot be decoded is a request-shape problem.
        return RequestShapeError(exc.detail)
    if isinstance(exc, exceptions.ValidationError):
        return RequestShapeError("The request is not valid.", errors=exc.detail)
    return exc


def api_exception_handler(exc, context):
    exc = _translate(exc)
    if not isinstance(exc, exceptions.APIException):
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        set_rollback()
        return Response({"detail": "Internal server error."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    # As DRF's own handler: the view set `auth_header` from its first authentication class (a 401; without one DRF
    # made it a 403). `Allow` needs nothing here: every APIView response carries it (default_response_headers).
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    detail = exc.detail
    errors = getattr(exc, "errors", None)
    if isinstance(detail, (dict, list)):
        errors, detail = detail, "The request is not valid."
    set_rollback()
    return Response(error_body(detail, errors), status=exc.status_code, headers=headers)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found_handler(request, exception=None):
    """JSON under /api/, Django's page elsewhere (the admin)."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error_handler(request):
    if _is_api(request):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return defaults.server_error(request)


def bad_request_handler(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied_handler(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return defaults.permission_denied(request, exception)
