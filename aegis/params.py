"""Strict parsing of query parameters: a bad value is a 422 naming the parameter.

A parameter sent empty (`?page_size=`) is not a parameter left out: an integer or boolean must then have a value.
Only `search` treats empty as absent, since an empty search filters nothing. No value may hold text the database
cannot store (the middleware guard refuses it for every parameter, read here or not).
"""

import re

from aegis.exceptions import RequestShapeError
from aegis.jsonparts import UNSTORABLE, UNSTORABLE_MESSAGE, printable

_DIGITS = re.compile(r"[0-9]{1,18}")
MAX_QUERY_INT = 999_999_999_999_999_999  # the most 18 digits hold, for the OpenAPI document
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def _reject(name: str, message: str):
    raise RequestShapeError(f"Query parameter '{name}': {message}", errors={name: [message]})


def query_problem(params) -> tuple[str, str] | None:
    """The first parameter (name, message) of a QueryDict whose name or value the database could not store."""
    for key, values in params.lists():
        if UNSTORABLE.search(key) or any(UNSTORABLE.search(value) for value in values):
            return printable(key), UNSTORABLE_MESSAGE
    return None


def _raw(request, name: str) -> str | None:
    raw = request.query_params.get(name)
    if raw is not None and UNSTORABLE.search(raw):
        _reject(name, UNSTORABLE_MESSAGE)
    return raw


def int_param(request, name: str, *, default: int | None, minimum: int = 0, maximum: int | None = None) -> int | None:
    raw = _raw(request, name)
    if raw is None:
        return default
    bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
    if raw == "":
        _reject(name, f"must not be empty: send an integer {bounds}, or leave the parameter out.")
    if not _DIGITS.fullmatch(raw):
        _reject(name, f"must be an integer {bounds}.")
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        _reject(name, f"must be an integer {bounds}.")
    return value


def bool_param(request, name: str) -> bool | None:
    raw = _raw(request, name)
    if raw is None:
        return None
    if raw == "":
        _reject(name, "must not be empty: send true or false, or leave the parameter out.")
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    _reject(name, "must be true or false.")


def str_param(request, name: str, *, max_length: int) -> str | None:
    """Empty means absent: `?search=` filters nothing."""
    raw = _raw(request, name)
    if raw is None or raw == "":
        return None
    if len(raw) > max_length:
        _reject(name, f"must be at most {max_length} characters.")
    return raw
