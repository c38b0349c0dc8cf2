"""The dataset JSON of the spec, built straight from rows and streamed.

A full dataset carries every record; building it as one list (or with a serializer per record) costs memory
and time in proportion to the dataset. Here records are written out as they are read, so memory stays flat:
on PostgreSQL the database itself renders each record as JSON and streams it with COPY; elsewhere rows come
from a chunked cursor and orjson renders them. The DRF serializers in `serializers.py` describe the same
shapes for the OpenAPI document; tests hold the shapes and the two paths together.
"""

from collections.abc import Iterable, Iterator

from django.db import connection

from accounts.representation import user_ref
from aegis.jsonstream import array_body, dumps, json_chunks
from datasets.models import RECORD_FIELDS, Dataset, Record

RECORD_CHUNK = 2000
STREAM_CHUNK_BYTES = 256 * 1024
RECORD_COLUMNS = ("id", "user_id", "dataset_id", *RECORD_FIELDS, "created_at", "updated_at")


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
        "baseline_run_id": dataset.baseline_run_id,
        "version": dataset.version,
    }


def dataset_records(dataset_id: int, *, after_id: int = 0, id_range: tuple[int, int | None] = (0, None)):
    """The records of one version: ids from id_range[0] up to, not including, id_range[1] (None: no end)."""
    first, end = id_range
    records = Record.objects.filter(dataset_id=dataset_id, id__gt=max(after_id, first - 1))
    records = records if end is None else records.filter(id__lt=end)
    return records.order_by("id").values(*RECORD_COLUMNS)


def _utc_text(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS {column}"""


def _record_json_postgres(dataset_id: int, id_range: tuple[int, int | None] = (0, None)) -> Iterator[bytes]:
    """Comma-separated record objects, rendered by PostgreSQL and read with COPY in large chunks.

    COPY's CSV format with control characters as delimiter and quote leaves JSON text untouched: JSON escapes
    every control character, so none can appear raw, and each row is exactly one object and a newline.
    """
    columns = ", ".join([*RECORD_COLUMNS[:-2], _utc_text("created_at"), _utc_text("updated_at")])
    table = connection.ops.quote_name(Record._meta.db_table)
    first, end = id_range
    where = f"dataset_id = {int(dataset_id)} AND id >= {int(first)}" + ("" if end is None else f" AND id < {int(end)}")
    query = f"SELECT row_to_json(r) FROM (SELECT {columns} FROM {table} WHERE {where}) r ORDER BY r.id"
    statement = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')"
    buffer = bytearray()
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in copy:
            buffer += row
            if len(buffer) >= STREAM_CHUNK_BYTES and buffer.endswith(b"\n"):
                yield bytes(buffer[:-1]).replace(b"\n", b",")
                buffer.clear()
    if buffer:
        yield bytes(buffer[:-1]).replace(b"\n", b",")


def recordjson_chunks(dataset_id: int, id_range: tuple[int, int | None] = (0, None)) -> Iterator[bytes]:
    """One version's records as comma-joined JSON objects in id order, in chunks of whole records."""
    if connection.vendor == "postgresql":
        return _record_json_postgres(dataset_id, id_range)
    return json_chunks(dataset_records(dataset_id, id_range=id_range).iterator(chunk_size=RECORD_CHUNK))


def stream_dataset(
    dataset: Dataset,
    *,
    minimal: bool = False,
    runs: Iterable[dict] = (),
    evaluations: Iterable[dict] = (),
    versions: Iterable[dict] = (),
    id_range: tuple[int, int | None] | None = None,
    records: Iterator[bytes] | None = None,
) -> Iterator[bytes]:
    """The full dataset object, in pieces. `minimal` replaces `records` with `record_count` and leaves the runs'
    evaluations out (the run summaries, with their progress, stay). `id_range`: the records of the version shown
    (by default the latest). `records`: those records already rendered (datasets.record_echo), else read."""
    id_range = (dataset.records_from_id, None) if id_range is None else id_range
    head = dumps({**dataset_summary(dataset), "versions": list(versions)})[:-1]
    if minimal:
        yield head + b',"record_count":' + str(dataset.record_count).encode()
        yield b',"runs":[' + b",".join(json_chunks(runs)) + b"]}"
        return
    yield head + b',"records":['
    yield from array_body(records if records is not None else recordjson_chunks(dataset.pk, id_range))
    yield b'],"runs":[' + b",".join(json_chunks(runs)) + b'],"evaluations":['
    yield from array_body(json_chunks(evaluations))
    yield b"]}"
