"""Dataset writes that reach past the dataset: an update cascades to its collection and the owner's runs on it, and
sets its baseline run; a delete detaches the runs' evaluations of its records. Creation lives in datasets.services.
"""

from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.ownership import check_delete_allowed, check_org_id_change, names_stay_unique, org_in_collection
from aegis.db import constraint_violation
from aegis.errors import BusinessRuleError, NotFound
from aegis.locks import KEY_SHARE, NO_KEY_UPDATE, UPDATE, lock_row
from collections_app.models import DataCollection
from collections_app.selectors import collection_for_dataset_update
from datasets.models import Dataset, Record
from datasets.services import dataset_name_error, validate_column_mappings
from metrics.selection import normalize_selected_metrics
from runs.services import detach_evaluations_from_records
from workspace.baselines import baseline_run_id_for
from workspace.sharing import owner_runs_follow_datasets, share_collection


def dataset_update(*, user: User, dataset: Dataset, changes: dict[str, Any]) -> Dataset:
    """Apply the sent fields of PUT /datasets/{id}. `dataset` is already known to be visible to `user`.

    Visible means owner or member of the org it is shared with, which is exactly who may edit it; only
    `org_id` has a narrower rule. Every check runs before the single transaction that writes.
    """
    proprietary = dataset.dataset_type.is_proprietary
    if "org_id" in changes:
        check_org_id_change(user=user, row=dataset, org_id=changes["org_id"])
        if proprietary and changes["org_id"] not in (None, dataset.org_id):
            raise BusinessRuleError(
                "A proprietary dataset cannot be shared with an organization.", errors={"org_id": ["proprietary"]}
            )

    collection = dataset.data_collection
    if "data_collection_id" in changes:
        collection = _collection_to_link(user=user, dataset=dataset, collection_id=changes["data_collection_id"])
    org_id = _org_after_update(dataset=dataset, collection=collection, changes=changes)

    name = changes["name"].strip() if "name" in changes else dataset.name
    if "name" in changes or org_id != dataset.org_id:
        name_error = dataset_name_error(name=name, user=dataset.user, org=org_id, exclude_id=dataset.pk)
        if name_error is not None:
            raise name_error
    if "selected_metrics" in changes:
        dataset.selected_metrics = normalize_selected_metrics(changes["selected_metrics"])
    if "column_mappings" in changes:
        # Metadata only: the stored records were read with the mappings of the upload and are not re-read.
        dataset.column_mappings = validate_column_mappings(changes["column_mappings"])
    if "baseline_run_id" in changes:
        dataset.baseline_run_id = baseline_run_id_for(user=user, dataset=dataset, run_id=changes["baseline_run_id"])

    sharing_changed = org_id != dataset.org_id or collection != dataset.data_collection
    # Sharing a dataset that sits in the caller's own private collection shares the whole collection with it.
    shares_its_collection = (
        org_id is not None
        and org_id != dataset.org_id
        and collection is not None
        and collection.org_id is None
        and collection.user_id == user.pk
    )
    # Only what changes is written: a concurrent cascade may have moved the dataset since it was read.
    fields = ["name", "selected_metrics", "column_mappings", "baseline_run", "updated_at"]
    fields += ["org"] if org_id != dataset.org_id else []
    fields += ["data_collection"] if collection != dataset.data_collection else []
    dataset.name = name
    dataset.org_id = org_id
    dataset.data_collection = collection
    dataset.updated_at = timezone.now()
    with names_stay_unique(Dataset, DataCollection), transaction.atomic():
        if collection is not None and sharing_changed:
            # The collection first, then the dataset: the order of every cascade (aegis.locks).
            strength = UPDATE if shares_its_collection else KEY_SHARE
            held = lock_row(DataCollection, collection.pk, strength=strength, fields=("org_id",))
            if held is None:
                message = f"Data collection {collection.pk} not found."
                raise BusinessRuleError(message, errors={"data_collection_id": ["not found"]})
            if held["org_id"] != collection.org_id:
                message = "The data collection's sharing changed while this request ran; send it again."
                raise BusinessRuleError(message, errors={"data_collection_id": ["changed"]})
        if lock_row(Dataset, dataset.pk, strength=NO_KEY_UPDATE) is None:
            raise NotFound(f"Dataset {dataset.pk} not found.")
        dataset.save(update_fields=fields)
        if shares_its_collection:
            assert collection is not None and org_id is not None  # shares_its_collection checked both
            share_collection(collection=collection, org_id=org_id)
        if sharing_changed:
            owner_runs_follow_datasets([dataset.pk])
    return dataset


def _collection_to_link(*, user: User, dataset: Dataset, collection_id: int | None) -> DataCollection | None:
    if collection_id is None:
        return None
    if dataset.dataset_type.is_proprietary:
        raise BusinessRuleError(
            "A proprietary dataset cannot be put in a data collection.", errors={"data_collection_id": ["proprietary"]}
        )
    return collection_for_dataset_update(user=user, collection_id=collection_id)


def _org_after_update(*, dataset: Dataset, collection: DataCollection | None, changes: dict[str, Any]) -> int | None:
    collection_org_id = collection.org_id if collection is not None else None
    return org_in_collection(row=dataset, collection_org_id=collection_org_id, changes=changes, noun="dataset")


def dataset_delete(*, user: User, dataset: Dataset) -> None:
    """Delete a dataset and its records. Runs on it are kept, with `dataset` null, and so are their evaluations."""
    check_delete_allowed(user=user, row=dataset, noun="dataset")
    still_referred = "The dataset could not be deleted: other data still refers to it."
    with constraint_violation({}, otherwise=lambda: BusinessRuleError(still_referred)), transaction.atomic():
        # Runs being created on the dataset hold it (runs.services): they finish, then their links are cut.
        if lock_row(Dataset, dataset.pk, strength=UPDATE) is None:
            raise NotFound(f"Dataset {dataset.pk} not found.")
        detach_evaluations_from_records(Record.objects.filter(dataset_id=dataset.pk).values("id"))
        # One DELETE statement: the ORM's cascade would load every record of a million-row dataset first.
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Record._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE dataset_id = %s", [dataset.pk])
        dataset.delete()
