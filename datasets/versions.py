"""Dataset versions: a new file for an existing dataset, read and checked exactly as an upload is.

The dataset's own fields (selected_metrics, structure, column_mappings, record_count) always describe its latest
version; a DatasetVersion row keeps each version's, and where its records start (see DatasetVersion).
"""

from typing import BinaryIO

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from aegis.errors import NotFound
from aegis.jsonparts import decode_json_part
from aegis.locks import UPDATE, lock_row
from datasets.csv_import import CsvError
from datasets.ingest import write_records
from datasets.models import Dataset, DatasetVersion, Record
from datasets.services import file_error, open_dataset_file, parse_column_mappings
from metrics.selection import normalize_selected_metrics


def _first_version(dataset: Dataset) -> DatasetVersion:
    """Version 1 as the dataset describes it until a second version exists."""
    return DatasetVersion(
        dataset=dataset,
        number=1,
        first_record_id=0,
        record_count=dataset.record_count,
        user_id=dataset.user_id,
        author_email=dataset.author_email,
        selected_metrics=dataset.selected_metrics,
        structure=dataset.structure,
        column_mappings=dataset.column_mappings,
        created_at=dataset.created_at,
    )


def dataset_versions(dataset: Dataset) -> list[DatasetVersion]:
    if dataset.version == 1:  # no version row yet: reading a dataset that was never re-uploaded costs no query
        return [_first_version(dataset)]
    return list(DatasetVersion.objects.filter(dataset_id=dataset.pk).order_by("number"))


def version_item(version: DatasetVersion) -> dict:
    return {
        "number": version.number,
        "created_at": version.created_at,
        "record_count": version.record_count,
        "author_email": version.author_email,
    }


def as_of_version(dataset: Dataset, version: DatasetVersion) -> Dataset:
    """The dataset with the fields of one of its versions, for reading it (never saved)."""
    dataset.version = version.number
    dataset.selected_metrics = version.selected_metrics
    dataset.structure = version.structure
    dataset.column_mappings = version.column_mappings
    dataset.record_count = version.record_count
    return dataset


def dataset_version_create(
    *,
    user: User,
    dataset: Dataset,
    file: BinaryIO,
    selected_metrics: str | None = None,
    column_mappings: str | None = None,
    delimiter: str | None = None,
) -> Dataset:
    """Upload version N+1 of a dataset the caller may edit, in one transaction: a bad file leaves nothing behind.

    The file, selected_metrics and column_mappings follow the rules of POST /datasets; metrics and mappings left
    out stay those of the latest version.
    """
    if selected_metrics is None:
        metrics = dataset.selected_metrics
    else:
        metrics = normalize_selected_metrics(decode_json_part(selected_metrics, "selected_metrics"))
    mappings = dataset.column_mappings if column_mappings is None else parse_column_mappings(column_mappings)
    try:
        upload = open_dataset_file(file, column_mappings=mappings, delimiter=delimiter)
        with transaction.atomic():
            # Versions of one dataset are written one at a time: their record ids never interleave.
            held = lock_row(Dataset, dataset.pk, strength=UPDATE, fields=("version",))
            if held is None:
                raise NotFound(f"Dataset {dataset.pk} not found.")
            if held["version"] == 1 and not DatasetVersion.objects.filter(dataset_id=dataset.pk).exists():
                _first_version(Dataset.objects.get(pk=dataset.pk)).save()
            last_id = Record.objects.filter(dataset_id=dataset.pk).aggregate(last=Max("id"))["last"] or 0
            number = held["version"] + 1
            count = write_records(dataset_id=dataset.pk, user_id=user.pk, rows=upload.rows())
            now = timezone.now()
            DatasetVersion.objects.create(
                dataset_id=dataset.pk,
                number=number,
                first_record_id=last_id + 1,
                record_count=count,
                user=user,
                author_email=user.email,
                selected_metrics=metrics,
                structure=upload.structure,
                column_mappings=mappings,
                created_at=now,
            )
            Dataset.objects.filter(pk=dataset.pk).update(
                version=number,
                records_from_id=last_id + 1,
                record_count=count,
                selected_metrics=metrics,
                structure=upload.structure,
                column_mappings=mappings,
                updated_at=now,
            )
    except CsvError as exc:
        raise file_error(exc) from None
    return Dataset.objects.select_related("user", "dataset_type").get(pk=dataset.pk)


def dataset_as_of(dataset: Dataset, number: int | None) -> tuple[Dataset, list[dict], tuple[int, int | None]]:
    """For reading one version (the latest when `number` is None): the dataset with that version's fields, the
    list of its versions, and the ids of that version's records."""
    versions = dataset_versions(dataset)
    latest = dataset.version
    number = latest if number is None else number
    by_number = {version.number: version for version in versions}
    if number not in by_number:
        raise NotFound(f"Dataset {dataset.pk} has no version {number} (its latest is {latest}).")
    following = by_number.get(number + 1)
    id_range = (by_number[number].first_record_id, following.first_record_id if following else None)
    return as_of_version(dataset, by_number[number]), [version_item(version) for version in versions], id_range
