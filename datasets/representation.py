"""The dataset JSON of the spec, built straight from rows and streamed with orjson.

A full dataset carries every record; building it as one list (or with a serializer per record) costs memory
and time in proportion to the dataset. Here records are read with a server-side cursor in chunks and written
out as they come, so memory stays flat. The DRF serializers in `serializers.py` describe the same shapes for
the OpenAPI document; a test holds the two together.
"""

from collections.abc import Iterator

import orjson
from django.http import HttpResponse

from datasets.models import RECORD_FIELDS, Dataset, Record

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS | orjson.OPT_NAIVE_UTC
RECORD_CHUNK = 2000
RECORD_COLUMNS = ("id", "user_id", "dataset_id", *RECORD_FIELDS, "created_at", "updated_at")


def dumps(value) -> bytes:
    return orjson.dumps(value, option=JSON_OPTIONS)


def user_ref(user) -> dict | None:
    return {"id": user.pk, "email": user.email} if user is not None else None


def dataset_summary(dataset: Dataset) -> dict:
    """Every scalar field of a dataset plus its type (the list item and the PUT response)."""
    dataset_type = dataset.dataset_type
    return {
        "id": dataset.pk,
        "user": user_ref(dataset.user),
        "dataset_type_id": dataset.dataset_type_id,
        "author_email": dataset.author_email,
        "name": dataset.name,
        "selected_metrics": dataset.selected_metrics,
        "structure": dataset.structure,
        "column_mappings": dataset.column_mappings,
        "data_collection_id": dataset.data_collection_id,
        "org_id": dataset.org_id,
        "created_at": dataset.created_at,
        "updated_at": dataset.updated_at,
        "dataset_type": {
            "id": dataset_type.pk,
            "name": dataset_type.name,
            "label": dataset_type.label,
            "description": dataset_type.description,
        },
    }


def json_response(data, status: int = 200) -> HttpResponse:
    """JSON with the API's timestamp format (UTC, `Z`, whole seconds), rendered by orjson."""
    return HttpResponse(dumps(data), status=status, content_type="application/json")


def dataset_records(dataset_id: int, *, after_id: int = 0):
    return Record.objects.filter(dataset_id=dataset_id, id__gt=after_id).order_by("id").values(*RECORD_COLUMNS)


def record_rows(dataset_id: int) -> Iterator[dict]:
    return dataset_records(dataset_id).iterator(chunk_size=RECORD_CHUNK)


def stream_dataset(dataset: Dataset, *, minimal: bool = False) -> Iterator[bytes]:
    """The full dataset object, in pieces. `minimal` replaces `records` with `record_count`."""
    head = dumps(dataset_summary(dataset))[:-1]
    if minimal:
        yield head + b',"record_count":' + str(dataset.records.count()).encode() + b',"runs":[],"evaluations":[]}'
        return
    yield head + b',"records":['
    separator = b""
    batch = []
    for record in record_rows(dataset.pk):
        batch.append(dumps(record))
        if len(batch) == RECORD_CHUNK:
            yield separator + b",".join(batch)
            separator, batch = b",", []
    if batch:
        yield separator + b",".join(batch)
    yield b'],"runs":[],"evaluations":[]}'
