"""What every upload format shares: errors, limits, the problems of a dry run, and how a header names the fields.

Pure: no ORM and no request. A reader (csv_import, xlsx_import, jsonl_import) turns a file into a header and raw
rows; this module decides which column feeds which record field and checks the limits, the same way for all.

- Headers match record fields after trimming, case-folding and reading spaces and hyphens as underscores
  (`Golden Answer`, `golden-answer`, `GOLDEN_ANSWER` all name `golden_answer`). Two headers that are equal once
  trimmed and case-folded are a duplicate, as always; two that only meet after the spaces-and-hyphens rule are an
  error only when they would feed the same field (the error names both).
- `column_mappings` ({field: header}) points a field at any header, matched by the same rule.
- The named columns no field uses are the ignored columns, reported back to the client.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from metrics.registry import RECORD_FIELDS

MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class CsvLimits:
    """None means unbounded."""

    rows: int | None = None
    columns: int | None = None
    cell_chars: int | None = None


class CsvError(ValueError):
    """A file the upload refuses. `kind` names the format in the API's detail ("Invalid CSV: ...")."""

    def __init__(self, message: str, line: int | None = None, *, column: int | None = None, kind: str = "CSV"):
        self.line = line
        self.column = column
        self.message = message
        self.kind = kind
        super().__init__(f"Line {line}: {message}" if line else message)


class ProblemLog:
    """Every problem of a dry run: the first MAX_PROBLEMS kept, all of them counted, so memory stays bounded."""

    def __init__(self, keep: int = MAX_PROBLEMS):
        self.keep = keep
        self.count = 0
        self.items: list[dict] = []

    def add(self, message: str, *, line: int | None = None, column: int | None = None, part: str = "file") -> None:
        self.count += 1
        if len(self.items) < self.keep:
            self.items.append({"part": part, "line": line, "column": column, "message": message})


def legacy_header_key(header: str) -> str:
    """Trimmed and case-folded: two headers equal this way have always been a duplicate."""
    return header.strip().casefold()


_SEPARATORS = re.compile(r"[\s_-]+")


def header_key(header: str) -> str:
    """The record field a header names, if any: `Golden Answer`, `golden-answer` and `GOLDEN_ANSWER` agree."""
    return _SEPARATORS.sub("_", header.strip().casefold())


def _quoted(headers) -> str:
    return ", ".join(repr(header) for header in headers)


@dataclass
class ColumnChoice:
    columns: dict[str, int]  # record field -> index of the column it is read from
    ignored: list[str]  # named headers no field reads, in file order


def choose_columns(
    header: list[str],
    column_mappings: Mapping[str, str],
    fail: Callable[..., None],
    *,
    no_field_hint: str = "",
) -> ColumnChoice:
    """Which column feeds each record field. `fail(message, line)` raises, or records a dry run's problem."""
    by_legacy_key: dict[str, int] = {}
    by_key: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        legacy = legacy_header_key(name)
        if not legacy:
            continue
        if legacy in by_legacy_key:
            fail(f"duplicate header '{name.strip()}'.", 1)
            continue
        by_legacy_key[legacy] = index
        by_key.setdefault(header_key(name), []).append(index)

    columns: dict[str, int] = {}
    for field in RECORD_FIELDS:
        if field not in column_mappings:
            continue
        wanted = column_mappings[field]
        candidates = by_key.get(header_key(wanted), [])
        exact = by_legacy_key.get(legacy_header_key(wanted))
        if not candidates:
            fail(
                f"column_mappings maps '{field}' to '{wanted}', which is not a header of the file "
                f"(headers found: {_quoted(header)})."
            )
        elif len(candidates) == 1 or exact is not None:
            columns[field] = exact if exact is not None else candidates[0]
        else:
            fail(_ambiguous(header, candidates, f"column_mappings' '{wanted}' for {field}"), 1)

    mapped = set(columns.values())
    for field in RECORD_FIELDS:
        if field in column_mappings:
            continue
        candidates = [index for index in by_key.get(field, []) if index not in mapped]
        if len(candidates) > 1:
            fail(_ambiguous(header, candidates, f"the field {field}"), 1)
        elif candidates:
            columns[field] = candidates[0]

    if not columns and not column_mappings:
        found = _quoted(header) or "none"
        fail(
            f"No record field found in the header. Headers found: {found}. "
            f"Expected one or more of: {', '.join(RECORD_FIELDS)} (or map columns with column_mappings).{no_field_hint}"
        )
    used = set(columns.values())
    ignored = [name for index, name in enumerate(header) if index not in used and name.strip()]
    return ColumnChoice(columns=columns, ignored=ignored)


def _ambiguous(header: list[str], candidates: list[int], target: str) -> str:
    return (
        f"the headers {_quoted(header[index] for index in candidates)} all match {target} "
        "(case, spaces and hyphens aside): rename or remove all but one, or pick one with column_mappings."
    )


class TabularUpload:
    """A parsed header and a stream of record tuples in RECORD_FIELDS order, whatever the file format.

    With `problems`, nothing raises: each problem is logged and the reading goes on (a dry run); without, the
    first problem raises a CsvError naming its line.
    """

    kind = "CSV"
    format = "csv"

    def __init__(self, limits: CsvLimits | None, problems: ProblemLog | None):
        self.limits = limits or CsvLimits()
        self.problems = problems
        self.row_count = 0
        self.headers: list[str] = []
        self.columns: dict[str, int] = {}
        self.structure: list[str] = []
        self.ignored_columns: list[str] = []

    def _fail(self, message: str, line: int | None = None, column: int | None = None) -> None:
        if self.problems is None:
            raise CsvError(message, line, column=column, kind=self.kind)
        self.problems.add(message, line=line, column=column)

    def _set_header(
        self, header: list[str], line: int, column_mappings: Mapping[str, str], *, no_field_hint: str = ""
    ) -> None:
        if self.limits.columns is not None and len(header) > self.limits.columns:
            self._fail(
                f"the header has {len(header)} columns; at most {self.limits.columns} are accepted (MAX_CSV_COLUMNS).",
                line,
            )
        self._check_cells(header, line)
        self.headers = header
        choice = choose_columns(header, column_mappings, self._fail, no_field_hint=no_field_hint)
        self.columns = choice.columns
        self.ignored_columns = choice.ignored
        self.structure = [field for field in RECORD_FIELDS if field in self.columns]

    def _check_cells(self, row, line: int) -> None:
        limit = self.limits.cell_chars
        if limit is not None and row and max(map(len, row)) > limit:
            column = next(index for index, cell in enumerate(row) if len(cell) > limit) + 1
            self._fail(f"the cell in column {column} has more than {limit} characters (MAX_CELL_CHARS).", line, column)

    def _count_row(self, line: int) -> None:
        self.row_count += 1
        if self.limits.rows is not None and self.row_count == self.limits.rows + 1:
            self._fail(f"the file has more than {self.limits.rows} data rows (MAX_DATASET_ROWS).", line)

    def _no_rows(self) -> None:
        if self.row_count == 0 and self.headers:
            self._fail("The file has a header but no data rows.")

    def mapping(self) -> dict[str, str]:
        """{field: the header it is read from}, as a dry run reports it."""
        return {field: self.headers[index] for field, index in self.columns.items()}
