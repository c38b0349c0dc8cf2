"""The records of an upload's full answer, formed from the rows as they are written instead of read back.

POST /datasets answers with every record it stored. Reading them back has PostgreSQL render each one as JSON, which
costs about as much as writing them (10 s per million rows here); the worker already holds every row on its way
to COPY, and orjson renders it several times faster. So the rows are also rendered as they are written, in
batches, into an unnamed temporary file (memory stays flat at any size), and the answer streams from that file.

A record's JSON holds its id, which the database assigns. The ids are foreseen from the table's sequence just
before the COPY and checked right after it: one COPY takes consecutive values unless another writer took some in
between. When the check fails (or on SQLite, where ids are not foreseen) the echo is dropped and the answer reads
the records back, as GET /datasets/{id} does. Either way the answer is the same.
"""

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from django.conf import settings

from aegis.jsonstream import dumps
from datasets.models import RECORD_FIELDS

RECORD_KEYS = ("id", "user_id", "dataset_id", *RECORD_FIELDS, "created_at", "updated_at")


class RecordEcho:
    """Filled by datasets.ingest.write_records (begin, add, confirm); read once by the answer (chunks)."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None  # opened by begin(): an echo never begun (SQLite) costs nothing
        self._block_sizes: list[int] = []
        self._first_id: int | None = None
        self._next_id = 0
        self._constants: tuple[int, int | None, datetime] | None = None
        self.confirmed = False

    def begin(self, *, first_id: int, dataset_id: int, user_id: int | None, created_at: datetime) -> None:
        # Beside the uploads' own spools (as large as the upload); unnamed, so nothing is left if the worker dies.
        self._file = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115  (see discard())
        self._first_id = self._next_id = first_id
        self._constants = (dataset_id, user_id, created_at)

    def add(self, rows: list[tuple]) -> None:
        """One batch of rows (tuples in RECORD_FIELDS order), as comma-joined record objects."""
        assert self._file is not None and self._constants is not None, "begin() comes first"
        dataset_id, user_id, created_at = self._constants
        first = self._next_id
        rendered = dumps(
            [
                dict(zip(RECORD_KEYS, (first + offset, user_id, dataset_id, *row, created_at, None), strict=True))
                for offset, row in enumerate(rows)
            ]
        )
        self._file.write(memoryview(rendered)[1:-1])  # the objects without the array's brackets, not copied
        self._block_sizes.append(len(rendered) - 2)
        self._next_id += len(rows)

    def confirm(self, *, first_id: int | None, last_id: int | None) -> None:
        """The ids the rows actually took (the dataset's lowest and highest): the echo holds if they are the
        foreseen ones, which with as many rows as ids means each row took the id it was given here."""
        self.confirmed = self._first_id is not None and (first_id, last_id) == (self._first_id, self._next_id - 1)

    def chunks(self) -> Iterator[bytes] | None:
        """The records as comma-joined JSON objects in id order, in chunks of whole records; None if the echo
        does not hold (then nothing is kept)."""
        if not self.confirmed or self._file is None:
            self.discard()
            return None
        return self._read(self._file)

    def discard(self) -> None:
        """Frees the file now (an upload that failed, or an echo that does not hold)."""
        if self._file is not None:
            self._file.close()

    def _read(self, file: IO[bytes]) -> Iterator[bytes]:
        try:
            file.seek(0)
            for size in self._block_sizes:
                yield file.read(size)
        finally:
            file.close()
