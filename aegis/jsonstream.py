"""JSON rendered by orjson and streamed in pieces: large answers are written out as they are read.

The API's timestamp format throughout: UTC, `Z`, whole seconds (the same as REST_FRAMEWORK["DATETIME_FORMAT"]).
"""

from collections.abc import Iterable, Iterator

import orjson
from django.http import HttpResponse

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS | orjson.OPT_NAIVE_UTC
CHUNK_ITEMS = 2000


def dumps(value) -> bytes:
    return orjson.dumps(value, option=JSON_OPTIONS)


def json_response(data, status: int = 200) -> HttpResponse:
    return HttpResponse(dumps(data), status=status, content_type="application/json")


def json_chunks(items: Iterable[dict]) -> Iterator[bytes]:
    """Comma-joined JSON objects, CHUNK_ITEMS at a time."""
    batch = []
    for item in items:
        batch.append(dumps(item))
        if len(batch) == CHUNK_ITEMS:
            yield b",".join(batch)
            batch = []
    if batch:
        yield b",".join(batch)


def array_body(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Chunks of whole objects, with the commas that go between chunks."""
    separator = b""
    for chunk in chunks:
        yield separator + chunk
        separator = b","
