"""Strict JSON decoding, shared by the JSON body parser and the JSON-encoded form parts.

No duplicate keys, no NaN or Infinity, nesting bounded (MAX_JSON_DEPTH), and no text the database cannot store:
PostgreSQL refuses U+0000 in text and JSONB, and an unpaired surrogate cannot be encoded at all. A refused value
is named by its JSON path (`metric_args.1.pattern`), so the client learns where it is.
"""

import json
import re

from django.conf import settings

from aegis.errors import BusinessRuleError
from aegis.exceptions import PayloadTooLarge

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "must not contain U+0000 (NUL) or an unpaired surrogate: the database cannot store them."


class JsonProblem(ValueError):
    """Why a JSON text was refused, and where (a dotted path; empty for the whole document)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.message = message
        self.path = path


def printable(text: str) -> str:
    """Text safe to echo in an error body: unstorable characters as \\u escapes."""
    return UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _no_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {printable(key)!r}")
        result[key] = value
    return result


def _no_constants(name):
    raise ValueError(f"{name} is not valid JSON")


def _join(path: tuple) -> str:
    return ".".join(printable(str(part)) for part in path)


def check_storable(value, *, max_depth: int) -> None:
    """One pass over a decoded value: containers nested at most `max_depth` deep, every key and string storable.

    Iterative, so a value the decoder accepted can never exhaust the stack here.
    """
    stack = [(value, (), 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            if UNSTORABLE.search(node):
                raise JsonProblem(UNSTORABLE_MESSAGE, _join(path))
            continue
        if isinstance(node, dict):
            children = list(node.items())
            for key, _ in children:
                if UNSTORABLE.search(key):
                    raise JsonProblem(UNSTORABLE_MESSAGE, _join((*path, key)))
        elif isinstance(node, list):
            children = list(enumerate(node))
        else:
            continue
        if depth >= max_depth:
            raise JsonProblem(f"nested deeper than {max_depth} levels (MAX_JSON_DEPTH).", _join(path))
        stack.extend((child, (*path, key), depth + 1) for key, child in reversed(children))


_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,]')


def _deep_path(text: str | bytes, max_depth: int) -> str:
    """Where a document too deep to decode first passes `max_depth`: its tokens, scanned without recursion."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    path: list = []
    last_string = '""'
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "{[":
            if len(path) >= max_depth:
                return _join(tuple(path))
            path.append("" if token == "{" else 0)
        elif token in "}]":
            if path:
                path.pop()
        elif token == ",":
            if path and isinstance(path[-1], int):
                path[-1] += 1
        elif token == ":":
            if path and isinstance(path[-1], str):
                try:
                    path[-1] = json.loads(last_string)
                except ValueError:
                    path[-1] = last_string[1:-1]
        else:
            last_string = token
    return ""


def loads_strict(text: str | bytes, *, max_depth: int | None = None):
    """Decode and check a JSON document; a problem is a JsonProblem naming the path of the offending value."""
    max_depth = settings.MAX_JSON_DEPTH if max_depth is None else max_depth
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except RecursionError:
        # The decoder recurses once per level, so far past our bound it stops at the interpreter's limit.
        path = _deep_path(text, max_depth)
        raise JsonProblem(f"nested deeper than {max_depth} levels (MAX_JSON_DEPTH).", path) from None
    except ValueError as exc:
        raise JsonProblem(f"not valid JSON: {printable(str(exc))}") from None
    check_storable(value, max_depth=max_depth)
    return value


def decode_json_part(text: str, field: str):
    """A JSON form part (`selected_metrics`, `column_mappings`): too large is a 413, anything else wrong a 400."""
    limit = settings.MAX_JSON_PART_BYTES
    if len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit:
        message = f"must be at most {limit} bytes (MAX_JSON_PART_BYTES)."
        raise PayloadTooLarge(f"{field} {message}", errors={field: [message]})
    try:
        return loads_strict(text)
    except JsonProblem as exc:
        where = f"{field}.{exc.path}" if exc.path else field
        message = f"{field} is {exc.message}" if exc.message.startswith("not valid JSON") else f"{where} {exc.message}"
        raise BusinessRuleError(message, errors={where: [message]}) from None
