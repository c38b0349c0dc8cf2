from django.db.models import QuerySet

from accounts.models import User
from aegis.errors import NotFound
from datasets.models import CUSTOM_TYPE_NAME, Dataset, DatasetType


def dataset_get_visible(*, user: User, dataset_id: int) -> Dataset:
    visible = Dataset.objects.visible_to(user).select_related("user", "dataset_type")
    dataset: Dataset | None = visible.filter(pk=dataset_id).first()
    if dataset is None:
        raise NotFound(f"Dataset {dataset_id} not found.")
    return dataset


def dataset_list(
    *, user: User, dataset_type_id: int | None, shared: bool | None, search: str | None
) -> QuerySet[Dataset]:
    """Visible datasets of one type (CUSTOM when none is given), newest first. An unknown type is a 404."""
    if dataset_type_id is None:
        dataset_type = DatasetType.objects.filter(name=CUSTOM_TYPE_NAME).first()
    else:
        dataset_type = DatasetType.objects.filter(pk=dataset_type_id).first()
    if dataset_type is None:
        raise NotFound(f"Dataset type {dataset_type_id or CUSTOM_TYPE_NAME} not found.")
    queryset = Dataset.objects.shared_filter(user, shared).filter(dataset_type=dataset_type)
    if search:
        queryset = queryset.filter(name__icontains=search)
    return queryset.select_related("user", "dataset_type").order_by("-created_at", "-id")


def dataset_all_partial(*, user: User, shared: bool | None) -> QuerySet[Dataset]:
    return (
        Dataset.objects.shared_filter(user, shared)
        .filter(dataset_type__is_proprietary=False)
        .select_related("user")
        .order_by("-created_at", "-id")
    )
