"""Data collection writes over the datasets and runs in them. The ownership rules live in accounts.ownership, the
cascades in workspace.sharing; a collection's own rows alone are written by collections_app.services.

A collection's sharing follows its datasets: it is private unless it holds a dataset shared with an organization,
and then it is shared with that organization (the caller's), which shares the caller's own datasets in it too.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.ownership import (
    check_delete_allowed,
    check_name_free,
    check_org_id_change,
    clean_name,
    names_stay_unique,
    org_id_of,
)
from aegis.db import constraint_violation
from aegis.errors import BusinessRuleError, NotFound
from aegis.locks import NO_KEY_UPDATE, UPDATE, lock_row
from collections_app.models import DataCollection
from datasets.models import Dataset
from workspace.sharing import (
    attach_datasets,
    detach_datasets,
    forget_collection,
    share_collection,
    unshare_collection,
)


def collection_create(*, user: User, name: str, dataset_ids: list[int] | None = None) -> DataCollection:
    """A collection owned by the caller, private unless a selected dataset is shared (see _org_for_new_collection)."""
    name = clean_name(name)
    datasets = _selected_datasets(user=user, dataset_ids=dataset_ids or [], collection=None)
    org_id = _org_for_new_collection(user=user, datasets=datasets)
    check_name_free(model=DataCollection, name=name, owner_id=user.pk, org_id=org_id)
    with names_stay_unique(DataCollection, Dataset), transaction.atomic():
        _lock_for_attaching(collection=None, dataset_ids=[dataset.pk for dataset in datasets])
        collection = DataCollection.objects.create(user=user, org_id=org_id, name=name, author_email=user.email)
        attach_datasets(collection=collection, dataset_ids=[dataset.pk for dataset in datasets])
        if org_id is not None:
            share_collection(collection=collection, org_id=org_id)  # promotes the caller's private datasets
    return collection


def collection_update(*, user: User, collection: DataCollection, changes: dict[str, Any]) -> DataCollection:
    """Apply the sent fields of PUT /data-collections/{id}. `collection` is already known to be visible to `user`.

    Every check runs before the single transaction that writes, so a refusal changes nothing.
    """
    if "org_id" in changes:
        check_org_id_change(user=user, row=collection, org_id=changes["org_id"])
    name = clean_name(changes["name"]) if "name" in changes else collection.name

    current_ids = set(Dataset.objects.filter(data_collection=collection).values_list("pk", flat=True))
    added: list[Dataset] = []
    new_ids: list[int] = []
    if "dataset_ids" in changes:
        datasets = _selected_datasets(user=user, dataset_ids=changes["dataset_ids"], collection=collection)
        added = [dataset for dataset in datasets if dataset.pk not in current_ids]
        _check_callers_own(user=user, datasets=added)
        new_ids = [dataset.pk for dataset in datasets]

    org_id = changes.get("org_id", collection.org_id)
    # Adding a dataset already shared with the caller's org promotes the private collection to that org.
    users_org = org_id_of(user)
    promoted = users_org is not None and any(dataset.org_id == users_org for dataset in added)
    if "org_id" not in changes and collection.org_id is None and promoted:
        org_id = users_org
    if "name" in changes or org_id != collection.org_id:
        check_name_free(
            model=DataCollection, name=name, owner_id=collection.user_id, org_id=org_id, exclude_id=collection.pk
        )

    was_shared = collection.org_id is not None
    sharing_changed = org_id != collection.org_id
    # A cascade over the collection's contents waits for, and holds off, uploads and runs filing themselves into it
    # (aegis.locks); a rename need not.
    cascades = "dataset_ids" in changes or sharing_changed
    collection.name = name
    collection.org_id = org_id
    collection.updated_at = timezone.now()
    with names_stay_unique(DataCollection, Dataset), transaction.atomic():
        if lock_row(DataCollection, collection.pk, strength=UPDATE if cascades else NO_KEY_UPDATE) is None:
            raise NotFound(f"Data collection {collection.pk} not found.")
        collection.save(update_fields=["name", "org", "updated_at"])
        if "dataset_ids" in changes:
            # Read again under the lock: a dataset filed here since the check above is one to detach too.
            current_ids = set(
                Dataset.objects.select_for_update().filter(data_collection=collection).values_list("pk", flat=True)
            )
            _lock_for_attaching(collection=collection, dataset_ids=[pk for pk in new_ids if pk not in current_ids])
            kept = set(new_ids)
            detach_datasets(collection=collection, dataset_ids=[pk for pk in current_ids if pk not in kept])
            attach_datasets(collection=collection, dataset_ids=[pk for pk in new_ids if pk not in current_ids])
        if org_id is not None and (sharing_changed or "dataset_ids" in changes):
            share_collection(collection=collection, org_id=org_id)
        elif org_id is None and was_shared:
            unshare_collection(collection=collection)
    return collection


def collection_delete(*, user: User, collection: DataCollection) -> None:
    """Delete a collection; its datasets and runs stay, outside any collection."""
    check_delete_allowed(user=user, row=collection, noun="data collection")
    still_referred = "The data collection could not be deleted: other data still refers to it."
    with constraint_violation({}, otherwise=lambda: BusinessRuleError(still_referred)), transaction.atomic():
        # Uploads and runs filing themselves into the collection hold it (aegis.locks). Waiting for them here
        # means every row that points at it is seen, and detached, below.
        if lock_row(DataCollection, collection.pk, strength=UPDATE) is None:
            raise NotFound(f"Data collection {collection.pk} not found.")
        dataset_ids = list(
            Dataset.objects.select_for_update().filter(data_collection=collection).values_list("pk", flat=True)
        )
        detach_datasets(collection=collection, dataset_ids=dataset_ids)
        forget_collection(collection=collection)
        collection.delete()


def _selected_datasets(*, user: User, dataset_ids: list[int], collection: DataCollection | None) -> list[Dataset]:
    """The datasets named by `dataset_ids`: visible (else 404), not proprietary, not in another collection (400)."""
    ids = list(dict.fromkeys(dataset_ids))
    found = Dataset.objects.visible_to(user).select_related("dataset_type").in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise NotFound(f"Dataset {', '.join(missing)} not found.")
    problems = []
    for pk in ids:
        dataset = found[pk]
        if dataset.dataset_type.is_proprietary:
            problems.append(f"dataset {pk} is proprietary and cannot be put in a collection")
        elif dataset.data_collection_id not in (None, collection.pk if collection else None):
            problems.append(f"dataset {pk} is already in another data collection")
    if problems:
        raise BusinessRuleError("Invalid dataset_ids: " + "; ".join(problems), errors={"dataset_ids": problems})
    return [found[pk] for pk in ids]


def _lock_for_attaching(*, collection: DataCollection | None, dataset_ids: list[int]) -> None:
    """Inside the transaction: the datasets about to join `collection`, locked, still there and still in no other
    collection. The checks before the transaction ran on rows that a concurrent request may have changed since."""
    if not dataset_ids:
        return
    locked = Dataset.objects.select_for_update().filter(pk__in=dataset_ids)
    current = dict(locked.values_list("pk", "data_collection_id"))
    missing = [str(pk) for pk in dataset_ids if pk not in current]
    if missing:
        raise NotFound(f"Dataset {', '.join(missing)} not found.")
    own = collection.pk if collection is not None else None
    taken = [pk for pk in dataset_ids if current[pk] not in (None, own)]
    problems = [f"dataset {pk} is already in another data collection" for pk in taken]
    if problems:
        raise BusinessRuleError("Invalid dataset_ids: " + "; ".join(problems), errors={"dataset_ids": problems})


def _check_callers_own(*, user: User, datasets: list[Dataset]) -> None:
    foreign = [str(dataset.pk) for dataset in datasets if dataset.user_id != user.pk]
    if foreign:
        message = f"Only your own datasets can be added to a collection; not yours: {', '.join(foreign)}."
        raise BusinessRuleError(message, errors={"dataset_ids": [message]})


def _org_for_new_collection(*, user: User, datasets: list[Dataset]) -> int | None:
    """Private unless a selected dataset is shared; then shared with the caller's org, promoting her private ones."""
    shared = [dataset for dataset in datasets if dataset.org_id is not None]
    if not shared:
        return None
    users_org = org_id_of(user)
    if users_org is None:
        message = "You are not in an organization, so a collection cannot hold org-shared datasets."
        raise BusinessRuleError(message, errors={"dataset_ids": [message]})
    if any(dataset.org_id != users_org for dataset in shared):
        message = "A selected dataset is shared with another organization."
        raise BusinessRuleError(message, errors={"dataset_ids": [message]})
    not_promotable = [str(d.pk) for d in datasets if d.org_id is None and d.user_id != user.pk]
    if not_promotable:
        message = f"Someone else's private datasets cannot be shared with your org: {', '.join(not_promotable)}."
        raise BusinessRuleError(message, errors={"dataset_ids": [message]})
    return users_org


# Org-only collections (no individual owner), which staff fill from the admin (they make them with
# collections_app.services.collection_create_org_only).


def collection_add_org_datasets(*, collection: DataCollection, dataset_ids: list[int]) -> None:
    """File datasets shared with an org-only collection's organization into it (their owners' runs follow)."""
    if collection.user_id is not None or collection.org_id is None:
        raise BusinessRuleError("Only an org-only collection receives its organization's datasets this way.")
    ids = list(dict.fromkeys(dataset_ids))
    with transaction.atomic():
        if lock_row(DataCollection, collection.pk, strength=UPDATE) is None:
            raise NotFound(f"Data collection {collection.pk} not found.")
        _lock_for_attaching(collection=collection, dataset_ids=ids)  # each still there and in no other collection
        # Read under the lock: a dataset unshared meanwhile must not join the organization's collection.
        rows = list(Dataset.objects.filter(pk__in=ids).values_list("pk", "org_id", "dataset_type__is_proprietary"))
        problems = [f"dataset {pk} is proprietary" for pk, _, proprietary in rows if proprietary]
        problems += [f"dataset {pk} is not the organization's" for pk, org, _ in rows if org != collection.org_id]
        if problems:
            raise BusinessRuleError("Invalid dataset_ids: " + "; ".join(problems), errors={"dataset_ids": problems})
        attach_datasets(collection=collection, dataset_ids=ids)
