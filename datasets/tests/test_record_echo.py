"""The records of an upload's full answer, rendered as they are written (datasets.record_echo): the same records
GET shows, with the ids the database gave them; dropped, and read back instead, when another writer took ids."""

import csv
import io
import json

import orjson
import pytest
from django.db import transaction

from datasets.ingest import COPY_BATCH_ROWS, write_records
from datasets.models import Dataset, Record
from datasets.record_echo import RecordEcho
from datasets.representation import recordjson_chunks
from datasets.tests.helpers import another_connection, body, create, empty_dataset
from runs.tests.processes import needs_postgres

AWKWARD = [
    ("plain", "a, b", 'say "hi"', "line one\nline two", "tab\there"),
    ("back\\slash", "", "caf\u00e9 \u2028 \U0001f600", '{"id":1,"user_id":2}', '"created_at":"x"'),
    ("\x01\x1f control", "},{", "", "", "last"),
]


def awkward_csv(copies: int = 1) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["prompt", "input", "context", "output", "golden_answer"])
    for _ in range(copies):
        writer.writerows(AWKWARD)
    return out.getvalue().encode()


def records_of(chunks) -> list[dict]:
    return orjson.loads(b"[" + b",".join(chunks) + b"]")


@pytest.mark.django_db
def test_the_full_answer_holds_the_records_as_get_shows_them(alice_api):
    created = create(alice_api, content=awkward_csv(copies=400))  # 1,200 rows: several batches
    assert created.status_code == 201, body(created)
    answer = body(created)
    shown = body(alice_api.get(f"/api/v1/datasets/{answer['id']}"))
    assert answer["records"] == shown["records"]
    assert [record["id"] for record in answer["records"]] == list(
        Record.objects.filter(dataset_id=answer["id"]).order_by("id").values_list("id", flat=True)
    )
    assert answer["records"][1]["input"] is None  # an empty cell
    assert [answer["records"][index]["prompt"] for index in range(3)] == [row[0] for row in AWKWARD]


@needs_postgres
@pytest.mark.django_db
def test_an_upload_renders_its_records_as_postgresql_would(alice):
    dataset = empty_dataset(alice)
    echo = RecordEcho()
    rows = AWKWARD * (COPY_BATCH_ROWS // 2)
    with transaction.atomic():
        assert write_records(dataset_id=dataset.pk, user_id=alice.pk, rows=rows, echo=echo) == len(rows)
        from_database = records_of(recordjson_chunks(dataset.pk))
    assert echo.confirmed
    assert records_of(echo.chunks()) == from_database


@needs_postgres
@pytest.mark.django_db
def test_ids_taken_by_another_writer_meanwhile_drop_the_echo(alice):
    dataset = empty_dataset(alice)
    echo = RecordEcho()
    other = another_connection(autocommit=True)

    def rows():
        for number in range(COPY_BATCH_ROWS * 2):
            if number == COPY_BATCH_ROWS + 1:  # another upload's COPY takes an id between two of ours
                other.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Record._meta.db_table])
            yield (f"prompt {number}", None, None, json.dumps(number), None)

    try:
        with transaction.atomic():
            written = write_records(dataset_id=dataset.pk, user_id=alice.pk, rows=rows(), echo=echo)
    finally:
        other.close()
    assert written == COPY_BATCH_ROWS * 2
    assert not echo.confirmed
    assert echo.chunks() is None  # the answer reads the records back
    assert Record.objects.filter(dataset_id=dataset.pk).count() == written
    assert Dataset.objects.filter(pk=dataset.pk).exists()
