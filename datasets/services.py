"""Dataset writes. Every rule of creation lives here; the API view and the admin both call it."""

import re
import unicodedata
from typing import BinaryIO

from django.db import IntegrityError, transaction
from rest_framework.exceptions import NotFound

from accounts.models import Organization, User
from aegis.exceptions import BusinessRuleError
from aegis.jsonparts import decode_json_part
from collections_app.selectors import collection_for_linking
from datasets.csv_import import RECORD_FIELDS, CsvError, CsvUpload
from datasets.ingest import write_records
from datasets.models import CUSTOM_TYPE_NAME, Dataset, DatasetType
from metrics.selection import normalize_selected_metrics

NAME_MAX_LENGTH = 255
NAME_CONSTRAINTS = ("dataset_name_unique_per_user", "dataset_name_unique_per_org")


def parse_column_mappings(text: str | None) -> dict[str, str] | None:
    """JSON object {record field: CSV header}, or None. Unknown fields and non-string headers are 400."""
    if text is None or text.strip() in ("", "null"):
        return None
    decoded = decode_json_part(text, "column_mappings")
    if decoded is None:
        return None
    if not isinstance(decoded, dict):
        raise _mapping_error(["must be a JSON object of record field to CSV column name"])
    problems = []
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
    return re.sub(r"\.csv$", "", base, flags=re.IGNORECASE)


def name_problem(name: str) -> str | None:
    if not name:
        return "name must not be empty"
    if len(name) > NAME_MAX_LENGTH:
        return f"name must be at most {NAME_MAX_LENGTH} characters"
    if any(unicodedata.category(char) == "Cc" for char in name):
        return "name must not contain control characters"
    return None


def _name_error(*, name: str, user: User | None, org: Organization | None) -> BusinessRuleError | None:
    problem = name_problem(name)
    if problem is not None:
        return BusinessRuleError(f"Invalid name: {problem}.", errors={"name": [problem]})
    if _name_taken(name=name, user=user, org=org):
        return _duplicate_name(name, org)
    return None


def _name_taken(*, name: str, user: User | None, org: Organization | None) -> bool:
    scope = Dataset.objects.filter(org=org) if org is not None else Dataset.objects.filter(user=user, org=None)
    return scope.filter(name__iexact=name).exists()


def _duplicate_name(name: str, org: Organization | None) -> BusinessRuleError:
    where = "in your organization" if org is not None else "in your account"
    message = f"A dataset named '{name}' already exists {where}."
    return BusinessRuleError(message, errors={"name": [message]})


def _custom_type() -> DatasetType:
    dataset_type = DatasetType.objects.filter(name=CUSTOM_TYPE_NAME).first()
    if dataset_type is None:
        raise NotFound("Dataset type CUSTOM not found.")
    return dataset_type


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
) -> Dataset:
    """Create a CUSTOM dataset from a CSV upload, in one transaction.

    With a user (the API): the caller owns it; sharing comes only from the linked collection. Without a user
    (staff in the admin): an org-only dataset of `org`. Checks run in the documented order: the JSON parts
    (400), the collection and the dataset type (404), the CSV (400), then the name (400).
    """
    metrics = normalize_selected_metrics(decode_json_part(selected_metrics, "selected_metrics"))
    mappings = parse_column_mappings(column_mappings)

    collection = collection_for_linking(user=user, org=org, collection_id=data_collection_id)
    if user is not None:
        org = collection.org if collection is not None and collection.org_id is not None else None
    dataset_type = _custom_type()

    try:
        upload = CsvUpload(file, mappings)
        final_name = (name if name not in (None, "") else default_name(filename)).strip()
        name_error = _name_error(name=final_name, user=user, org=org)
        if name_error is not None:
            for _ in upload.rows():  # a CSV error in the file is reported before a name problem
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
        return _store(dataset, upload)
    except CsvError as exc:
        raise BusinessRuleError(f"Invalid CSV: {exc}", errors={"file": [str(exc)]}) from None


def _store(dataset: Dataset, upload: CsvUpload) -> Dataset:
    """The dataset row and all its records, in one transaction: a bad row anywhere leaves nothing behind."""
    try:
        with transaction.atomic():
            dataset.save()
            dataset.record_count = write_records(dataset_id=dataset.pk, user_id=dataset.user_id, rows=upload.rows())
            Dataset.objects.filter(pk=dataset.pk).update(record_count=dataset.record_count)
    except IntegrityError as exc:
        # Two uploads raced for one name: the database decided, and the loser gets the same 400 as a pre-check.
        if any(constraint in str(exc) for constraint in NAME_CONSTRAINTS):
            raise _duplicate_name(dataset.name, dataset.org) from None
        raise
    return dataset
