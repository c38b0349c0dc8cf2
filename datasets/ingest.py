"""Writing record rows in bulk: COPY on PostgreSQL, batched multi-row INSERTs elsewhere (the embedded SQLite).

Both take an iterator and never hold more than one batch, so memory stays flat whatever the file size.
"""

from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connection

from datasets.models import RECORD_FIELDS, Record

COLUMNS = ("dataset_id", "user_id", *RECORD_FIELDS)
SQLITE_BATCH_ROWS = 500  # 7 columns x 500 rows stays under SQLite's 32766 bound-variable limit


def write_records(*, dataset_id: int, user_id: int | None, rows: Iterable[tuple]) -> int:
    """Insert every row (a tuple in RECORD_FIELDS order) for one dataset; returns the number written."""
    writer = _copy_rows if connection.vendor == "postgresql" else _insert_rows
    return writer(dataset_id, user_id, iter(rows))


def _copy_rows(dataset_id: int, user_id: int | None, rows: Iterator[tuple]) -> int:
    table = connection.ops.quote_name(Record._meta.db_table)
    statement = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
    written = 0
    # The COPY talks to the driver's cursor directly; the wrapper turns its errors (a backend terminated, the
    # connection lost) into Django's, as every other query raises them, and marks the connection for closing.
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row((dataset_id, user_id, *row))
            written += 1
    return written


def _insert_rows(dataset_id: int, user_id: int | None, rows: Iterator[tuple]) -> int:
    table = connection.ops.quote_name(Record._meta.db_table)
    one_row = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    written = 0
    with connection.cursor() as cursor:
        while batch := list(islice(rows, SQLITE_BATCH_ROWS)):
            params = [value for row in batch for value in (dataset_id, user_id, *row)]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES {', '.join([one_row] * len(batch))}", params
            )
            written += len(batch)
    return written
