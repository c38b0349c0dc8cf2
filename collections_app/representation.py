"""The data collection's response shape (DataCollectionOut), built in one place.

The collection comes from workspace.collection_selectors with its visible datasets and runs prefetched.
"""

from accounts.representation import user_ref
from collections_app.models import DataCollection
from runs.representation import run_summary


def collection_dataset(dataset) -> dict:
    """CollectionDatasetOut: a dataset where a collection lists it."""
    return {
        "id": dataset.pk,
        "name": dataset.name,
        "user": user_ref(dataset.user),
        "org_id": dataset.org_id,
        "author_email": dataset.author_email,
        "created_at": dataset.created_at,
        "updated_at": dataset.updated_at,
    }


def collection_object(collection: DataCollection) -> dict:
    return {
        "id": collection.pk,
        "user": user_ref(collection.user),
        "name": collection.name,
        "org_id": collection.org_id,
        "author_email": collection.author_email,
        "datasets": [collection_dataset(dataset) for dataset in collection.visible_datasets],
        "runs": [run_summary(run) for run in collection.visible_runs],
        "created_at": collection.created_at,
        "updated_at": collection.updated_at,
    }
