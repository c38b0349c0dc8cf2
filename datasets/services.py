"""Dataset writes. Every rule of creation lives here; the API view and the admin both call it.

Update and delete reach the dataset's collection and runs: they live in workspace.dataset_services.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar, cast

from django.conf import settings
from django.db import transaction

from accounts.models import Organization, User
from accounts.ownership import name_error, names_stay_unique
from aegis.errors import BusinessRuleError, NotFound
from aegis.jsonparts import decode_json_part
from aegis.locks import lock_row
from collections_app.models import DataCollection
from collections_app.selectors import collection_for_linking
from datasets.csv_import import RECORD_FIELDS, CsvError, CsvLimits, CsvUpload
from datasets.ingest import write_records
from datasets.jsonl_import import JsonlUpload
from datasets.models import CUSTOM_TYPE_NAME, Dataset, DatasetType
from datasets.record_echo import RecordEcho
from datasets.tabular import ProblemLog
from datasets.upload_formats import open_upload
from datasets.xlsx_import import XlsxUpload
from metrics.selection import normalize_selected_metrics

_T = TypeVar("_T")
# What open_upload returns: the reader of one format (TabularUpload itself declares no rows(), encoding, delimiter).
Reader = CsvUpload | XlsxUpload | JsonlUpload


def parse_column_mappings(text: str | None) -> dict[str, str] | None:
    """JSON object {record field: CSV header}, or None. Unknown fields and non-string headers are 400."""
    if text is None or text.strip() in ("", "null"):
        return None
    return validate_column_mappings(decode_json_part(text, "column_mappings"))


def validate_column_mappings(decoded: Any) -> dict[str, str] | None:
    """An already decoded `column_mappings` value (the JSON body of PUT), checked as on upload."""
    if decoded is None:
        return None
    if not isinstance(decoded, dict):
        raise _mapping_error(["must be a JSON object of record field to CSV column name"])
    problems: list[str] = []
    for field, column in decoded.items():
        if field not in RECORD_FIELDS:
            problems.append(f"'{field}' is not a record field (expected one of: {', '.join(RECORD_FIELDS)})")
        if not isinstance(column, str) or not column.strip():
            problems.append(f"'{field}' must map to a non-empty CSV column name")
    if problems:
        raise _mapping_error(problems)
    return decoded or None


def _mapping_error(problems: list[str]) -> BusinessRuleError:
    return BusinessRuleError("Invalid column_mappings: " + "; ".join(problems), errors={"column_mappings": problems})


def default_name(filename: str | None) -> str:
    base = (filename or "").rsplit("/", 1)[-1]
    return re.sub(r"\.(csv|tsv|xlsx|xlsm|jsonl|ndjson)$", "", base, flags=re.IGNORECASE)


def dataset_name_error(
    *, name: str, user: User | None, org: Organization | int | None, exclude_id: int | None = None
) -> BusinessRuleError | None:
    """The 400 a dataset of this name would get under that owner and org (the one name rule), or None."""
    org_id = org.pk if isinstance(org, Organization) else org
    owner_id = user.pk if user is not None else None
    return name_error(model=Dataset, name=name, owner_id=owner_id, org_id=org_id, exclude_id=exclude_id)


def csv_limits() -> CsvLimits:
    return CsvLimits(
        rows=settings.MAX_DATASET_ROWS, columns=settings.MAX_CSV_COLUMNS, cell_chars=settings.MAX_CELL_CHARS
    )


def _custom_type() -> DatasetType:
    dataset_type = DatasetType.objects.filter(name=CUSTOM_TYPE_NAME).first()
    if dataset_type is None:
        raise NotFound("Dataset type CUSTOM not found.")
    return dataset_type


def open_dataset_file(
    file: BinaryIO,
    *,
    column_mappings: dict[str, str] | None,
    delimiter: str | None = None,
    problems: ProblemLog | None = None,
) -> Reader:
    """The uploaded table (CSV, .xlsx or JSON Lines, told by content), its header read, under the upload limits."""
    return cast(Reader, open_upload(file, column_mappings, csv_limits(), delimiter=delimiter, problems=problems))


def file_error(exc: CsvError) -> BusinessRuleError:
    return BusinessRuleError(f"Invalid {exc.kind}: {exc}", errors={"file": [str(exc)]})


@dataclass
class Upload:
    """A created dataset and what the upload left out of it."""

    dataset: Dataset
    ignored_columns: list[str]
    echo: RecordEcho | None = None


def dataset_create(
    *,
    user: User | None,
    file: BinaryIO,
    filename: str | None,
    selected_metrics: str,
    column_mappings: str | None = None,
    name: str | None = None,
    data_collection_id: int | None = None,
    org: Organization | None = None,
    author_email: str | None = None,
    delimiter: str | None = None,
) -> Dataset:
    """Create a CUSTOM dataset from an uploaded table, in one transaction (see dataset_upload)."""
    return dataset_upload(
        user=user,
        file=file,
        filename=filename,
        selected_metrics=selected_metrics,
        column_mappings=column_mappings,
        name=name,
        data_collection_id=data_collection_id,
        org=org,
        author_email=author_email,
        delimiter=delimiter,
    ).dataset


def dataset_upload(
    *,
    user: User | None,
    file: BinaryIO,
    filename: str | None,
    selected_metrics: str,
    column_mappings: str | None = None,
    name: str | None = None,
    data_collection_id: int | None = None,
    org: Organization | None = None,
    author_email: str | None = None,
    delimiter: str | None = None,
    keep_records: bool = False,
) -> Upload:
    """Create a CUSTOM dataset from a CSV, .xlsx or JSON Lines upload, in one transaction.

    With a user (the API): the caller owns it; sharing comes only from the linked collection. Without a user
    (staff in the admin): an org-only dataset of `org`. Checks run in the documented order: the JSON parts
    (400), the collection and the dataset type (404), the file (400), then the name (400).
    """
    metrics = normalize_selected_metrics(decode_json_part(selected_metrics, "selected_metrics"))
    mappings = parse_column_mappings(column_mappings)

    collection = collection_for_linking(user=user, org=org, collection_id=data_collection_id)
    if user is not None:
        org = collection.org if collection is not None and collection.org_id is not None else None
    dataset_type = _custom_type()

    try:
        upload = open_dataset_file(file, column_mappings=mappings, delimiter=delimiter)
        final_name = (name or default_name(filename)).strip()
        name_error = dataset_name_error(name=final_name, user=user, org=org)
        if name_error is not None:
            for _ in upload.rows():  # a problem in the file is reported before a name problem
                pass
            raise name_error
        dataset = Dataset(
            user=user,
            org=org,
            author_email=author_email or (user.email if user else ""),
            dataset_type=dataset_type,
            name=final_name,
            selected_metrics=metrics,
            structure=upload.structure,
            column_mappings=mappings,
            data_collection=collection,
        )
        echo = RecordEcho() if keep_records else None
        return Upload(dataset=_store(dataset, upload, echo), ignored_columns=upload.ignored_columns, echo=echo)
    except CsvError as exc:
        raise file_error(exc) from None


def dataset_dry_run(
    *,
    user: User,
    file: BinaryIO,
    filename: str | None,
    selected_metrics: str,
    column_mappings: str | None = None,
    name: str | None = None,
    data_collection_id: int | None = None,
    delimiter: str | None = None,
) -> dict[str, Any]:
    """Check an upload as dataset_upload would, storing nothing, and report every problem found.

    The whole file is read (streaming, so memory stays flat), every JSON part decoded; a problem does not stop
    the check but is logged with its part, line and column (the first MAX_PROBLEMS kept, all counted). A file
    that is no table at all is the one problem nothing follows.
    """
    problems = ProblemLog()
    metrics = _checked(
        problems, lambda: normalize_selected_metrics(decode_json_part(selected_metrics, "selected_metrics"))
    )
    mappings = _checked(problems, lambda: parse_column_mappings(column_mappings))
    collection = _checked(
        problems, lambda: collection_for_linking(user=user, org=None, collection_id=data_collection_id)
    )
    org = collection.org if collection is not None and collection.org_id is not None else None
    report: dict[str, Any] = {
        "format": None,
        "encoding": None,
        "delimiter": None,
        "row_count": 0,
        "headers": [],
        "structure": [],
    }
    report |= {"mapping": {}, "ignored_columns": []}
    upload = None
    try:
        upload = open_dataset_file(file, column_mappings=mappings or None, delimiter=delimiter, problems=problems)
        for _ in upload.rows():
            pass
    except CsvError as exc:  # no table at all, or one that breaks off (a damaged workbook): nothing follows
        problems.add(exc.message, line=exc.line, column=exc.column)
    if upload is not None:
        report |= {
            "format": upload.format,
            "encoding": upload.encoding,
            "delimiter": upload.delimiter,
            "row_count": upload.row_count,
            "headers": upload.headers,
            "structure": upload.structure,
            "mapping": upload.mapping(),
            "ignored_columns": upload.ignored_columns,
        }
    final_name = (name or default_name(filename)).strip()
    name_error = dataset_name_error(name=final_name, user=user, org=org)
    if name_error is not None:
        problems.add(str(name_error.detail), part="name")
    return {
        "valid": problems.count == 0,
        **report,
        "name": final_name,
        "selected_metrics": metrics,
        "problem_count": problems.count,
        "problems": problems.items,
        "problems_truncated": problems.count > len(problems.items),
    }


def _checked(problems: ProblemLog, check: Callable[[], _T]) -> _T | None:
    """The value of a check, or None with its problems logged under the part they name."""
    try:
        return check()
    except (BusinessRuleError, NotFound) as exc:
        errors = getattr(exc, "errors", None) or {}
        if isinstance(exc, NotFound):
            problems.add(str(exc.detail), part="data_collection_id")
        elif not errors:
            problems.add(str(exc.detail), part="request")
        for where, messages in errors.items():
            for message in messages:
                problems.add(str(message), part=where.split(".", 1)[0])
        return None


def _store(dataset: Dataset, upload: Reader, echo: RecordEcho | None) -> Dataset:
    """The dataset row and all its records, in one transaction: a bad row anywhere leaves nothing behind."""
    try:
        # Two uploads raced for one name: the database decided, and the loser gets the same 400 as a pre-check.
        with names_stay_unique(Dataset, row=dataset), transaction.atomic():
            if dataset.data_collection_id is not None:
                # Held until the records are in: deleting or unsharing the collection waits (aegis.locks).
                held = lock_row(DataCollection, dataset.data_collection_id, fields=("org_id",))
                if held is None:
                    raise NotFound(f"Data collection {dataset.data_collection_id} not found.")
                if dataset.user_id is not None:
                    dataset.org_id = held["org_id"]  # the collection decides, as it is now
            dataset.save()
            dataset.record_count = write_records(
                dataset_id=dataset.pk, user_id=dataset.user_id, rows=upload.rows(), echo=echo
            )
            Dataset.objects.filter(pk=dataset.pk).update(record_count=dataset.record_count)
    except BaseException:
        if echo is not None:
            echo.discard()  # now, not when the error's traceback is let go
        raise
    return dataset
