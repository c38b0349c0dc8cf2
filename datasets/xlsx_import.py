"""Excel workbooks (.xlsx, .xlsm) for dataset uploads: the first sheet, read streaming with openpyxl (read-only).

Pure, like csv_import: the same header rules, limits and error lines, where a line is the sheet's row number.
Cells become text as a person reads them: whole numbers without ".0", dates as ISO 8601, booleans as true/false;
an empty cell is None. Formulas give the value Excel last computed (a file never opened in Excel has none).
"""

import datetime
import zipfile
from collections.abc import Iterator, Mapping
from typing import BinaryIO

from datasets.tabular import RECORD_FIELDS, CsvError, CsvLimits, ProblemLog, TabularUpload

# Read-only mode streams the sheet but keeps the shared-strings table whole; its size on disk bounds that memory.
MAX_SHARED_STRINGS_BYTES = 256 * 1024 * 1024
KIND = "Excel workbook"


def cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _unreadable(detail: str) -> CsvError:
    return CsvError(
        f"The workbook could not be read ({detail}): open it in Excel, save it again as .xlsx or as CSV UTF-8, and "
        "upload that.",
        kind=KIND,
    )


class XlsxUpload(TabularUpload):
    kind = KIND
    format = "xlsx"
    encoding = None
    delimiter = None

    def __init__(
        self,
        binary: BinaryIO,
        column_mappings: Mapping[str, str] | None = None,
        limits: CsvLimits | None = None,
        *,
        problems: ProblemLog | None = None,
    ):
        import openpyxl  # a few hundred milliseconds to import: only when a workbook arrives

        super().__init__(limits, problems)
        try:
            with zipfile.ZipFile(binary) as archive:
                strings = next((i for i in archive.infolist() if i.filename == "xl/sharedStrings.xml"), None)
            binary.seek(0)
            if strings is not None and strings.file_size > MAX_SHARED_STRINGS_BYTES:
                raise CsvError(
                    f"the workbook's text table is larger than {MAX_SHARED_STRINGS_BYTES} bytes: save it as CSV "
                    "UTF-8 and upload that.",
                    kind=KIND,
                )
            workbook = openpyxl.load_workbook(binary, read_only=True, data_only=True)
            if not workbook.worksheets:
                raise _unreadable("it has no worksheet")
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # a stated range of a million empty rows would otherwise be padded out
            self._raw = self._numbered_rows(sheet.iter_rows(values_only=True))
        except CsvError:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a damaged file: each is the same answer
            raise _unreadable(type(exc).__name__) from None
        self._workbook = workbook
        found = next(self._raw, None)
        if found is None:
            self._fail("The file is empty: a header row and at least one data row are required.")
            return
        line, header = found
        while header and header[-1] is None:
            header.pop()
        self._set_header([cell_text(cell) or "" for cell in header], line, column_mappings or {})

    def _numbered_rows(self, rows) -> Iterator[tuple[int, list]]:
        """(row number, cells) for each row with a value; damage found mid-sheet is the same error as at opening."""
        try:
            for number, cells in enumerate(rows, start=1):
                if any(cell is not None and cell != "" for cell in cells):
                    yield number, list(cells)
        except Exception as exc:
            raise _unreadable(type(exc).__name__) from None

    def rows(self) -> Iterator[tuple[str | None, ...]]:
        if not self.headers:
            return
        width = len(self.headers)
        picks = [self.columns.get(field) for field in RECORD_FIELDS]
        try:
            for line, cells in self._raw:
                texts = [cell_text(cell) for cell in cells]
                while len(texts) > width and texts[-1] is None:
                    texts.pop()
                if len(texts) > width:
                    self._fail(f"expected {width} fields like the header, found {len(texts)}.", line)
                    self.row_count += 1
                    continue
                texts += [None] * (width - len(texts))
                self._count_row(line)
                self._check_cells([text or "" for text in texts], line)
                yield tuple(None if index is None else texts[index] for index in picks)
        finally:
            self._workbook.close()
        self._no_rows()
