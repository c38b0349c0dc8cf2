"""Data collection writes (spec 3.7). The sharing cascades themselves live in aegis.sharing."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound

from accounts.models import User
from aegis.exceptions import BusinessRuleError
from aegis.locks import NO_KEY_UPDATE, UPDATE, lock_row
from aegis.names import name_problem
from aegis.sharing import (
    attach_datasets,
    check_delete_allowed,
    check_org_id_change,
    detach_datasets,
    names_stay_unique,
    share_collection,
    unshare_collection,
)
from collections_app.models import DataCollection
from datasets.models import Dataset
from runs.models import Run


def collection_create(*, user: User, name: str, dataset_ids: list[int] | None = None) -> DataCollection:
    """A collection owned by the caller. Its sharing follows the selected datasets (rules 1-4 of spec 3.7)."""
    name = _clean_name(name)
    datasets = _selected_datasets(user=user, dataset_ids=dataset_ids or [], collection=None)
    org_id = _org_for_new_collection(user=user, datasets=datasets)
    _check_name_free(name=name, owner_id=user.pk, org_id=org_id, exclude_id=None)
    with names_stay_unique(), transaction.atomic():
        _lock_for_attaching(collection=None, dataset_ids=[dataset.pk for dataset in datasets])
        collection = DataCollection.objects.create(user=user, org_id=org_id, name=name, author_email=user.email)
        attach_datasets(collection=collection, dataset_ids=[dataset.pk for dataset in datasets])
        if org_id is not None:
            share_collection(collection=collection, org_id=org_id)  # promotes the caller's private datasets
    return collection


def collection_update(*, user: User, collection: DataCollection, changes: dict) -> DataCollection:
    """Apply the sent fields of PUT /data-collections/{id}. `collection` is already known to be visible to `user`.

    Every check runs before the single transaction that writes, so a refusal changes nothing.
    """
    if "org_id" in changes:
        check_org_id_change(user=user, row=collection, org_id=changes["org_id"])
    name = _clean_name(changes["name"]) if "name" in changes else collection.name

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
    promoted = user.org_id is not None and any(dataset.org_id == user.org_id for dataset in added)
    if "org_id" not in changes and collection.org_id is None and promoted:
        org_id = user.org_id
    if "name" in changes or org_id != collection.org_id:
        _check_name_free(name=name, owner_id=collection.user_id, org_id=org_id, exclude_id=collection.pk)

    was_shared = collection.org_id is not None
    sharing_changed = org_id != collection.org_id
    # A cascade over the collection's contents waits for, and holds off, uploads and runs filing themselves into it
    # (aegis.locks); a rename need not.
    cascades = "dataset_ids" in changes or sharing_changed
    collection.name = name
    collection.org_id = org_id
    collection.updated_at = timezone.now()
    with names_stay_unique(), transaction.atomic():
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
    try:
        with transaction.atomic():
            # Uploads and runs filing themselves into the collection hold it (aegis.locks). Waiting for them here
            # means every row that points at it is seen, and detached, below.
            if lock_row(DataCollection, collection.pk, strength=UPDATE) is None:
                raise NotFound(f"Data collection {collection.pk} not found.")
            dataset_ids = list(
                Dataset.objects.select_for_update().filter(data_collection=collection).values_list("pk", flat=True)
            )
            detach_datasets(collection=collection, dataset_ids=dataset_ids)
            Run.objects.filter(data_collection=collection).update(data_collection=None)
            collection.delete()
    except IntegrityError:
        raise BusinessRuleError("The data collection could not be deleted: other data still refers to it.") from None


def _clean_name(name: str) -> str:
    name = name.strip()
    problem = name_problem(name)
    if problem is not None:
        raise BusinessRuleError(f"Invalid name: {problem}.", errors={"name": [problem]})
    return name


def _check_name_free(*, name: str, owner_id: int | None, org_id: int | None, exclude_id: int | None) -> None:
    """Names are unique per organization for shared collections and per owner for private ones."""
    if org_id is not None:
        scope, where = DataCollection.objects.filter(org_id=org_id), "in your organization"
    else:
        scope, where = DataCollection.objects.filter(user_id=owner_id, org=None), "in your account"
    if scope.filter(name__iexact=name).exclude(pk=exclude_id).exists():
        message = f"A data collection named '{name}' already exists {where}."
        raise BusinessRuleError(message, errors={"name": [message]})


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
    if user.org_id is None:
        message = "You are not in an organization, so a collection cannot hold org-shared datasets."
        raise BusinessRuleError(message, errors={"dataset_ids": [message]})
    if any(dataset.org_id != user.org_id for dataset in shared):
        message = "A selected dataset is shared with another organization."
        raise BusinessRuleError(message, errors={"dataset_ids": [message]})
    not_promotable = [str(d.pk) for d in datasets if d.org_id is None and d.user_id != user.pk]
    if not_promotable:
        message = f"Someone else's private datasets cannot be shared with your org: {', '.join(not_promotable)}."
        raise BusinessRuleError(message, errors={"dataset_ids": [message]})
    return user.org_id
