"""The one way in for an uploaded table: diagnose the file by its content, then open the reader of its format.

Every reader yields the same record tuples under the same rules (datasets.tabular), so the service that stores
them (COPY on PostgreSQL) and a dry run that only checks them do not care which format came in.
"""

from collections.abc import Mapping
from typing import BinaryIO

from datasets.csv_import import CsvUpload
from datasets.jsonl_import import JsonlUpload
from datasets.sniff import diagnose
from datasets.tabular import CsvLimits, ProblemLog, TabularUpload
from datasets.xlsx_import import XlsxUpload

DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "\\t": "\t", "|": "|"}


def open_upload(
    binary: BinaryIO,
    column_mappings: Mapping[str, str] | None = None,
    limits: CsvLimits | None = None,
    *,
    delimiter: str | None = None,
    problems: ProblemLog | None = None,
) -> TabularUpload:
    """A reader for the file, its header already read. `delimiter` applies to CSV only (None: a comma).

    The file must be seekable (an uploaded file is). A file that is no table we read raises CsvError, even in a
    dry run: nothing else can be said about it.
    """
    file_format = diagnose(binary)
    if file_format == "xlsx":
        return XlsxUpload(binary, column_mappings, limits, problems=problems)
    if file_format == "jsonl":
        return JsonlUpload(binary, column_mappings, limits, problems=problems)
    return CsvUpload(binary, column_mappings, limits, delimiter=DELIMITERS[delimiter or ","], problems=problems)
