"""Data collection writes that touch no dataset or run; those that do live in workspace.collection_services.
The ownership rules live in accounts.ownership.
"""

from django.db import transaction

from accounts.ownership import check_name_free, clean_name, names_stay_unique
from collections_app.models import DataCollection

# Org-only collections (no individual owner), which staff make from the admin (and fill with
# workspace.collection_services.collection_add_org_datasets).


def collection_create_org_only(*, org_id: int, name: str, author_email: str) -> DataCollection:
    """A collection of the organization itself; the same name rule as any shared collection."""
    name = clean_name(name)
    check_name_free(model=DataCollection, name=name, owner_id=None, org_id=org_id)
    with names_stay_unique(DataCollection), transaction.atomic():
        return DataCollection.objects.create(user=None, org_id=org_id, name=name, author_email=author_email)
