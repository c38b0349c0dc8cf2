"""Data collection reads with the contents they show: the datasets and runs in each that the caller can see."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from accounts.ownership import org_id_of
from aegis.errors import NotFound
from collections_app.models import DataCollection
from datasets.models import Dataset
from runs.models import Run


def _with_visible_contents(queryset: QuerySet[DataCollection], user: User) -> QuerySet[DataCollection]:
    visible = (
        Dataset.objects.visible_to(user)
        .filter(dataset_type__is_proprietary=False)
        .select_related("user")
        .order_by("-created_at", "-id")
    )
    runs = Run.objects.visible_to(user).select_related("user").order_by("-started_at", "-id")
    return queryset.select_related("user").prefetch_related(
        Prefetch("datasets", visible, to_attr="visible_datasets"), Prefetch("runs", runs, to_attr="visible_runs")
    )


def collection_list(*, user: User, shared: bool | None) -> QuerySet[DataCollection]:
    """Visible collections, newest first. `shared=true` with no organization is a 404: nothing can be shared."""
    if shared is True and org_id_of(user) is None:
        raise NotFound("You are not a member of an organization, so nothing is shared with you.")
    return _with_visible_contents(DataCollection.objects.shared_filter(user, shared), user).order_by(
        "-created_at", "-id"
    )


def collection_get_visible(*, user: User, collection_id: int) -> DataCollection:
    visible = _with_visible_contents(DataCollection.objects.visible_to(user), user)
    collection: DataCollection | None = visible.filter(pk=collection_id).first()
    if collection is None:
        raise NotFound(f"Data collection {collection_id} not found.")
    return collection
