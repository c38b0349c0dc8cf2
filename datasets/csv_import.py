"""Streaming CSV parser for dataset uploads. Pure: bytes in, rows out, no ORM and no request.

- Encodings: UTF-8 with or without BOM, UTF-16 with BOM. Anything else is an error naming the line.
- The first row is the header. Headers match the record fields after trimming, case-insensitively; other
  columns are ignored; `column_mappings` ({field: header}) points a field at any other header.
- Empty cells become None (null), always, so "absent" has a single spelling.
- Values are otherwise kept exactly as in the file: no trimming; quoted commas, quotes and newlines round-trip.
- Limits (CsvLimits: data rows, columns, characters per cell) are checked as the file streams by, each an error
  naming the line; the caller's transaction makes a refusal leave nothing behind.
"""

import codecs
import csv
import io
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from metrics.registry import RECORD_FIELDS

# Whole documents (long contexts) are legitimate cells; CsvLimits.cell_chars bounds them, with a message of our own.
csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class CsvLimits:
    """None means unbounded."""

    rows: int | None = None
    columns: int | None = None
    cell_chars: int | None = None


class CsvError(ValueError):
    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(f"Line {line}: {message}" if line else message)


def _normalize(header: str) -> str:
    return header.strip().casefold()


CHUNK_BYTES = 1 << 16


def _byte_blocks(binary: BinaryIO, first: bytes) -> Iterator[bytes]:
    """The file in blocks of whole lines (each ends with b"\\n", but maybe the last), read in chunks."""
    parts = [first]
    while chunk := binary.read(CHUNK_BYTES):
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:  # a line longer than a chunk: keep collecting
            parts.append(chunk)
            continue
        parts.append(chunk[:cut])
        yield b"".join(parts)
        parts = [chunk[cut:]]
    tail = b"".join(parts)
    if tail:
        yield tail


def _utf8_lines(binary: BinaryIO, first: bytes) -> Iterator[str]:
    """Decoded lines with their endings. A block of whole lines decodes at once (UTF-8 never has 0x0A inside a
    character), and an error is traced back to its line."""
    line_number = 0
    for block in _byte_blocks(binary, first):
        if b"\x00" in block:
            raise CsvError("contains a NUL byte.", line_number + block.count(b"\n", 0, block.index(b"\x00")) + 1)
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError as exc:
            line_start = block.rfind(b"\n", 0, exc.start) + 1
            raise CsvError(
                f"not valid UTF-8 (byte 0x{block[exc.start]:02x} at position {exc.start - line_start + 1}).",
                line_number + block.count(b"\n", 0, exc.start) + 1,
            ) from None
        lines = text.split("\n")
        tail = lines.pop()
        line_number += len(lines)
        for line in lines:
            yield line + "\n"
        if tail:
            line_number += 1
            yield tail


def _utf16_lines(binary: BinaryIO, first: bytes) -> Iterator[str]:
    stream = io.TextIOWrapper(io.BufferedReader(_Prefixed(first, binary)), encoding="utf-16", newline="")
    line_number = 0
    try:
        for text in stream:
            line_number += 1
            if "\x00" in text:
                raise CsvError("contains a NUL character.", line_number)
            yield text
    except UnicodeDecodeError:
        raise CsvError("not valid UTF-16.", line_number + 1) from None


class _Prefixed(io.RawIOBase):
    """A raw stream that replays bytes already read (the BOM sniff) before the rest of the file."""

    def __init__(self, prefix: bytes, rest: BinaryIO):
        self._prefix, self._rest = prefix, rest

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._prefix:
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def decoded_lines(binary: BinaryIO) -> Iterator[str]:
    first = binary.read(4)
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not first.startswith(codecs.BOM_UTF32_LE):
        return _utf16_lines(binary, first)
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    return _utf8_lines(binary, first)


class CsvUpload:
    """Reads the header at once (so its errors come first), then yields record tuples in RECORD_FIELDS order."""

    def __init__(
        self, binary: BinaryIO, column_mappings: Mapping[str, str] | None = None, limits: CsvLimits | None = None
    ):
        self._reader = csv.reader(decoded_lines(binary), strict=True)
        self.limits = limits or CsvLimits()
        self.row_count = 0
        header = self._next_row()
        if header is None:
            raise CsvError("The file is empty: a header row and at least one data row are required.")
        if self.limits.columns is not None and len(header) > self.limits.columns:
            raise CsvError(
                f"the header has {len(header)} columns; at most {self.limits.columns} are accepted (MAX_CSV_COLUMNS).",
                self._reader.line_num,
            )
        self._check_cells(header)
        self.headers = header
        self.columns = self._resolve_columns(header, column_mappings or {})
        self.structure = [field for field in RECORD_FIELDS if field in self.columns]

    def _next_row(self) -> list[str] | None:
        try:
            for row in self._reader:
                if row:  # blank lines carry no record
                    return row
        except csv.Error as exc:
            raise CsvError(f"malformed CSV ({exc}).", self._reader.line_num) from None
        return None

    def _resolve_columns(self, header: list[str], column_mappings: Mapping[str, str]) -> dict[str, int]:
        positions: dict[str, int] = {}
        for index, name in enumerate(header):
            key = _normalize(name)
            if not key:
                continue
            if key in positions:
                raise CsvError(f"duplicate header '{name.strip()}'.", 1)
            positions[key] = index

        mapped_columns = {_normalize(column) for column in column_mappings.values()}
        columns = {}
        for field in RECORD_FIELDS:
            if field in column_mappings:
                column = _normalize(column_mappings[field])
                if column not in positions:
                    raise CsvError(
                        f"column_mappings maps '{field}' to '{column_mappings[field]}', which is not a header of the "
                        f"file (headers found: {', '.join(repr(h) for h in header)})."
                    )
                columns[field] = positions[column]
            elif field in positions and field not in mapped_columns:
                columns[field] = positions[field]
        if not columns:
            found = ", ".join(repr(h) for h in header) or "none"
            raise CsvError(
                f"No record field found in the header. Headers found: {found}. "
                f"Expected one or more of: {', '.join(RECORD_FIELDS)} (or map columns with column_mappings)."
            )
        return columns

    def _check_cells(self, row: list[str]) -> None:
        limit = self.limits.cell_chars
        if limit is not None and row and max(map(len, row)) > limit:
            column = next(index for index, cell in enumerate(row) if len(cell) > limit) + 1
            raise CsvError(
                f"the cell in column {column} has more than {limit} characters (MAX_CELL_CHARS).",
                self._reader.line_num,
            )

    def rows(self) -> Iterator[tuple[str | None, ...]]:
        width = len(self.headers)
        picks = [self.columns.get(field) for field in RECORD_FIELDS]
        # Bounds as plain locals: this loop runs once per row of files with millions of them.
        max_rows = sys.maxsize if self.limits.rows is None else self.limits.rows
        max_cell = sys.maxsize if self.limits.cell_chars is None else self.limits.cell_chars
        while (row := self._next_row()) is not None:
            if len(row) != width:
                raise CsvError(f"expected {width} fields like the header, found {len(row)}.", self._reader.line_num)
            self.row_count += 1
            if self.row_count > max_rows:
                raise CsvError(
                    f"the file has more than {max_rows} data rows (MAX_DATASET_ROWS).", self._reader.line_num
                )
            if max(map(len, row)) > max_cell:
                self._check_cells(row)
            yield tuple(None if index is None or row[index] == "" else row[index] for index in picks)
        if self.row_count == 0:
            raise CsvError("The file has a header but no data rows.")
