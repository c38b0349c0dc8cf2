"""Streaming CSV parser for dataset uploads. Pure: bytes in, rows out, no ORM and no request.

- Encodings: UTF-8 with or without BOM, UTF-16 with BOM. Anything else is an error naming the line, with the
  encoding charset-normalizer finds most likely and what to do.
- The delimiter is `,` unless the caller says otherwise (`;`, tab, `|`); a header that names no field but
  splits with another delimiter says so.
- The first row is the header; datasets.tabular decides which column feeds which record field.
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
from itertools import chain, islice
from typing import BinaryIO

from datasets.sniff import delimiter_hint, legacy_encoding_hint
from datasets.tabular import RECORD_FIELDS, CsvError, CsvLimits, ProblemLog, TabularUpload

__all__ = ["RECORD_FIELDS", "CsvError", "CsvLimits", "CsvUpload", "ProblemLog", "decoded_lines"]

# Whole documents (long contexts) are legitimate cells; CsvLimits.cell_chars bounds them, with a message of our own.
csv.field_size_limit(sys.maxsize)

CHUNK_BYTES = 1 << 16
SNIFF_LINES = 5


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


def _utf8_error(block: bytes, exc: UnicodeDecodeError) -> str:
    line_start = block.rfind(b"\n", 0, exc.start) + 1
    return f"not valid UTF-8 (byte 0x{block[exc.start]:02x} at position {exc.start - line_start + 1})."


def _lines_one_by_one(block: bytes, line_number: int, problems: ProblemLog) -> Iterator[str]:
    """A block with a bad byte, line by line, for a dry run: each problem logged, the line read on regardless."""
    hinted = False
    for raw in block.splitlines(keepends=True):
        line_number += 1
        if b"\x00" in raw:
            problems.add("contains a NUL byte.", line=line_number)
            raw = raw.replace(b"\x00", b"")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            hint = "" if hinted else legacy_encoding_hint(block)
            hinted = True
            problems.add(_utf8_error(raw, exc) + hint, line=line_number)
            yield raw.decode("utf-8", "replace")


def _utf8_lines(binary: BinaryIO, first: bytes, problems: ProblemLog | None = None) -> Iterator[str]:
    """Decoded lines with their endings. A block of whole lines decodes at once (UTF-8 never has 0x0A inside a
    character), and an error is traced back to its line."""
    line_number = 0
    for block in _byte_blocks(binary, first):
        nul = block.find(b"\x00")
        try:
            if nul >= 0:
                raise CsvError("contains a NUL byte.", line_number + block.count(b"\n", 0, nul) + 1)
            text = block.decode("utf-8")
        except (UnicodeDecodeError, CsvError) as exc:
            if problems is not None:
                yield from _lines_one_by_one(block, line_number, problems)
                line_number += block.count(b"\n") + (not block.endswith(b"\n"))
                continue
            if isinstance(exc, CsvError):
                raise
            raise CsvError(
                _utf8_error(block, exc) + legacy_encoding_hint(block),
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


def _utf16_lines(binary: BinaryIO, first: bytes, problems: ProblemLog | None = None) -> Iterator[str]:
    stream = io.TextIOWrapper(io.BufferedReader(_Prefixed(first, binary)), encoding="utf-16", newline="")
    line_number = 0
    try:
        for text in stream:
            line_number += 1
            if "\x00" in text:
                if problems is None:
                    raise CsvError("contains a NUL character.", line_number)
                problems.add("contains a NUL character.", line=line_number)
                text = text.replace("\x00", "")
            yield text
    except UnicodeDecodeError:
        if problems is None:
            raise CsvError("not valid UTF-16.", line_number + 1) from None
        problems.add("not valid UTF-16; the rest of the file cannot be read.", line=line_number + 1)


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


def encoding_of(first: bytes) -> str:
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not first.startswith(codecs.BOM_UTF32_LE):
        return "utf-16"
    return "utf-8"


def decoded_lines(binary: BinaryIO, problems: ProblemLog | None = None) -> Iterator[str]:
    return _decoded_lines(binary, binary.read(4), problems)


def _decoded_lines(binary: BinaryIO, first: bytes, problems: ProblemLog | None) -> Iterator[str]:
    if encoding_of(first) == "utf-16":
        return _utf16_lines(binary, first, problems)
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    return _utf8_lines(binary, first, problems)


class CsvUpload(TabularUpload):
    """Reads the header at once (so its errors come first), then yields record tuples in RECORD_FIELDS order."""

    def __init__(
        self,
        binary: BinaryIO,
        column_mappings: Mapping[str, str] | None = None,
        limits: CsvLimits | None = None,
        *,
        delimiter: str = ",",
        problems: ProblemLog | None = None,
    ):
        super().__init__(limits, problems)
        self.delimiter = delimiter
        first = binary.read(4)
        self.encoding = encoding_of(first)
        lines = _decoded_lines(binary, first, problems)
        # The first lines, kept as they pass to name another delimiter when the header finds no field.
        sample: list[str] = []
        recorded = (sample.append(line) or line for line in islice(lines, SNIFF_LINES))
        self._reader = csv.reader(chain(recorded, lines), strict=True, delimiter=delimiter)
        header = self._next_row()
        if header is None:
            self._fail("The file is empty: a header row and at least one data row are required.")
            return
        line = self._reader.line_num
        hint = ""
        if len(header) == 1:
            hint = delimiter_hint(sample, delimiter)
        self._set_header(header, line, column_mappings or {}, no_field_hint=hint)

    def _next_row(self) -> list[str] | None:
        while True:
            try:
                for row in self._reader:
                    if row:  # blank lines carry no record
                        return row
            except csv.Error as exc:
                self._fail(f"malformed CSV ({exc}).", self._reader.line_num)
                self.row_count += bool(self.headers)  # a dry run counts the row and reads on from the next line
                continue
            return None

    def rows(self) -> Iterator[tuple[str | None, ...]]:
        if not self.headers:
            return
        width = len(self.headers)
        picks = [self.columns.get(field) for field in RECORD_FIELDS]
        # Bounds as plain locals: this loop runs once per row of files with millions of them.
        max_rows = sys.maxsize if self.limits.rows is None else self.limits.rows
        max_cell = sys.maxsize if self.limits.cell_chars is None else self.limits.cell_chars
        while (row := self._next_row()) is not None:
            if len(row) != width:
                self._fail(f"expected {width} fields like the header, found {len(row)}.", self._reader.line_num)
                self.row_count += 1
                continue
            if self.row_count >= max_rows:
                self._count_row(self._reader.line_num)
                continue
            self.row_count += 1
            if max(map(len, row)) > max_cell:
                self._check_cells(row, self._reader.line_num)
            yield tuple(None if index is None or row[index] == "" else row[index] for index in picks)
        self._no_rows()
