"""JSON Lines for dataset uploads: one JSON object per line, its keys as the header. Pure, like csv_import.

The first object's keys are the header (same rules, limits and error lines as a CSV); a later object may leave
keys out (null) but may not bring a key the first one lacks. Strings are kept exactly; numbers, booleans, arrays
and objects become their JSON text; null and "" are None. Lines are decoded by orjson, so a large file loads at
the speed of the CSV path.
"""

import codecs
import sys
from collections.abc import Iterator, Mapping
from itertools import chain
from typing import BinaryIO

import orjson

from aegis.jsonparts import JsonProblem, loads_strict
from datasets.csv_import import _utf8_lines
from datasets.tabular import RECORD_FIELDS, CsvError, CsvLimits, ProblemLog, TabularUpload

KIND = "JSON Lines file"
UNSTORABLE_ESCAPE = "\\u0000"


def value_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _keys_in(line: str) -> int:
    """An upper bound of the keys written in a line (every key is followed by `":`), to spot duplicates cheaply."""
    return line.count('":') + line.count('" :')


class JsonlUpload(TabularUpload):
    kind = KIND
    format = "jsonl"
    encoding = "utf-8"
    delimiter = None

    def __init__(
        self,
        binary: BinaryIO,
        column_mappings: Mapping[str, str] | None = None,
        limits: CsvLimits | None = None,
        *,
        problems: ProblemLog | None = None,
    ):
        super().__init__(limits, problems)
        first = binary.read(3)
        self._lines = self._objects(_utf8_lines(binary, first.removeprefix(codecs.BOM_UTF8), problems))
        found = next(self._lines, None)
        if found is None:
            self._fail("The file is empty: at least one JSON object per line is required.")
            return
        line, header_object = found
        self._set_header(list(header_object), line, column_mappings or {})
        self._first_line, self._first = line, header_object

    def _decode(self, text: str, line: int) -> dict | None:
        try:
            value = orjson.loads(text)
            if isinstance(value, dict) and _keys_in(text) > len(value):
                value = loads_strict(text)  # maybe a duplicate key, which orjson would let pass
        except orjson.JSONDecodeError as exc:
            self._fail(f"not valid JSON ({exc.msg}).", line)
            return None
        except JsonProblem as exc:
            self._fail(f"{exc.message} {exc.path}".strip() + ".", line)
            return None
        if not isinstance(value, dict):
            self._fail(f"expected a JSON object, found {type(value).__name__}: one object per line.", line)
            return None
        if UNSTORABLE_ESCAPE in text:
            self._fail("contains a NUL character.", line)
            return None
        return value

    def _objects(self, lines: Iterator[str]) -> Iterator[tuple[int, dict]]:
        try:
            for number, text in enumerate(lines, start=1):
                if not text.strip():
                    continue
                value = self._decode(text, number)
                if value is not None:
                    yield number, value
                else:
                    self.row_count += 1
        except CsvError as exc:  # a bad byte or a NUL, found by the shared UTF-8 line reader
            exc.kind = KIND
            raise

    def rows(self) -> Iterator[tuple[str | None, ...]]:
        if not self.headers:
            return
        keys = [None if index is None else self.headers[index] for index in map(self.columns.get, RECORD_FIELDS)]
        known = set(self.headers)
        max_cell = sys.maxsize if self.limits.cell_chars is None else self.limits.cell_chars
        for line, value in chain([(self._first_line, self._first)], self._lines):
            if not known.issuperset(value):
                extra = next(key for key in value if key not in known)
                self._fail(f"the key '{extra}' is not a key of the first line (the header).", line)
                self.row_count += 1
                continue
            self._count_row(line)
            lengths = (len(cell) if type(cell) is str else len(value_text(cell) or "") for cell in value.values())
            if max(lengths, default=0) > max_cell:
                self._check_cells([value_text(cell) or "" for cell in value.values()], line)
            yield tuple(None if key is None else value_text(value.get(key)) for key in keys)
        self._no_rows()
