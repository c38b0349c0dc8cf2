"""The sharing cascades, where collections, datasets and runs meet.

The checks (accounts.ownership and the services) run before anything is written. The cascades only write: the
services call them inside their own transaction.atomic(), after every check has passed, so a rejected request changes
nothing. A cascade that reads the rows it then writes locks them as it reads (after the service locked the
collection, see aegis.locks), so a row that joins or leaves the collection meanwhile cannot slip between the read and
the write.
"""

from collections.abc import Iterable

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from collections_app.models import DataCollection
from datasets.models import Dataset
from runs.models import Run


def owner_runs_follow_datasets(dataset_ids: Iterable[int]) -> None:
    """Each dataset owner's runs on that dataset take its `org_id` and `data_collection_id` (run synchronization)."""
    dataset = Dataset.objects.filter(pk=OuterRef("dataset_id"))
    Run.objects.filter(dataset_id__in=list(dataset_ids), user_id=F("dataset__user_id")).update(
        org_id=Subquery(dataset.values("org_id")[:1]),
        data_collection_id=Subquery(dataset.values("data_collection_id")[:1]),
    )


def attach_datasets(*, collection: DataCollection, dataset_ids: list[int]) -> None:
    """The datasets join the collection, and their owners' runs on them follow."""
    Dataset.objects.filter(pk__in=dataset_ids).update(data_collection=collection, updated_at=timezone.now())
    owner_runs_follow_datasets(dataset_ids)


def detach_datasets(*, collection: DataCollection, dataset_ids: list[int]) -> None:
    """The datasets leave the collection (their org_id stays); the owners' runs on them leave it too."""
    Dataset.objects.filter(pk__in=dataset_ids).update(data_collection=None, updated_at=timezone.now())
    # The owner's runs: for an org-only collection, the runs that have no owner either.
    owner = Q(user__isnull=True) if collection.user_id is None else Q(user_id=collection.user_id)
    Run.objects.filter(owner, dataset_id__in=dataset_ids, data_collection=collection).update(data_collection=None)
    owner_runs_follow_datasets(dataset_ids)


def share_collection(*, collection: DataCollection, org_id: int) -> None:
    """The collection, every dataset in it, and the owner's runs on the collection or its datasets take org_id."""
    now = timezone.now()
    DataCollection.objects.filter(pk=collection.pk).exclude(org_id=org_id).update(org_id=org_id, updated_at=now)
    collection.org_id = org_id
    dataset_ids = list(
        Dataset.objects.select_for_update().filter(data_collection=collection).values_list("pk", flat=True)
    )
    Dataset.objects.filter(pk__in=dataset_ids).exclude(org_id=org_id).update(org_id=org_id, updated_at=now)
    _owner_runs(collection, dataset_ids).update(org_id=org_id)
    owner_runs_follow_datasets(dataset_ids)


def unshare_collection(*, collection: DataCollection) -> None:
    """The collection becomes private: what others own leaves it, what the owner owns becomes private with it."""
    now = timezone.now()
    DataCollection.objects.filter(pk=collection.pk).update(org_id=None, updated_at=now)
    collection.org_id = None
    in_collection = Dataset.objects.select_for_update().filter(data_collection=collection)
    others_ids = list(in_collection.exclude(user_id=collection.user_id).values_list("pk", flat=True))
    own_ids = list(in_collection.filter(user_id=collection.user_id).values_list("pk", flat=True))
    Dataset.objects.filter(pk__in=others_ids).update(data_collection=None, updated_at=now)
    Run.objects.filter(data_collection=collection).exclude(user_id=collection.user_id).update(data_collection=None)
    Dataset.objects.filter(pk__in=own_ids).exclude(org_id=None).update(org_id=None, updated_at=now)
    _owner_runs(collection, own_ids).update(org_id=None)
    owner_runs_follow_datasets(others_ids + own_ids)


def _owner_runs(collection: DataCollection, dataset_ids: list[int]) -> QuerySet[Run]:
    if collection.user_id is None:
        return Run.objects.none()  # an org-only collection has no owner whose runs could follow it
    return Run.objects.filter(user_id=collection.user_id).filter(
        Q(data_collection=collection) | Q(dataset_id__in=dataset_ids)
    )


def forget_collection(*, collection: DataCollection) -> None:
    """Before the collection is deleted: the runs filed in it stay, in no collection."""
    Run.objects.filter(data_collection=collection).update(data_collection=None)
