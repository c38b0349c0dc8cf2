"""Strict parsing of query parameters: a bad value is a 422 naming the parameter."""

import re

from aegis.exceptions import RequestShapeError

_DIGITS = re.compile(r"[0-9]{1,18}")
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def _reject(name: str, message: str):
    raise RequestShapeError(f"Query parameter '{name}': {message}", errors={name: [message]})


def int_param(request, name: str, *, default: int | None, minimum: int = 0, maximum: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
    if not _DIGITS.fullmatch(raw):
        _reject(name, f"must be an integer {bounds}.")
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        _reject(name, f"must be an integer {bounds}.")
    return value


def bool_param(request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    _reject(name, "must be true or false.")


def str_param(request, name: str, *, max_length: int) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > max_length:
        _reject(name, f"must be at most {max_length} characters.")
    return raw
