from accounts.models import Organization, User
from accounts.ownership import org_id_of
from aegis.errors import BusinessRuleError, NotFound
from collections_app.models import DataCollection


def collection_for_linking(
    *, user: User | None, org: Organization | None, collection_id: int | None
) -> DataCollection | None:
    """The collection a new dataset may join, or 404.

    It must be visible to the caller, and an org-shared one needs the caller to still be a member of its
    organization (an owner who left the org cannot file datasets into it). Staff creating org-only datasets
    may only use collections of that organization.
    """
    if collection_id is None:
        return None
    if user is None:
        collection = DataCollection.objects.filter(pk=collection_id, org=org).first()
    else:
        collection = DataCollection.objects.visible_to(user).filter(pk=collection_id).first()
        if collection is not None and collection.org_id is not None and collection.org_id != org_id_of(user):
            collection = None
    if collection is None:
        raise NotFound(f"Data collection {collection_id} not found.")
    found: DataCollection = collection
    return found


def collection_for_dataset_update(*, user: User, collection_id: int) -> DataCollection:
    """The collection an existing dataset may be moved into, by the rule of creation; a miss is a 400 here.

    PUT /datasets/{id} answers an unknown collection with a 400 (the field is wrong, not the URL). Someone else's
    private collection is invisible, so it is "not found" too.
    """
    try:
        collection = collection_for_linking(user=user, org=None, collection_id=collection_id)
        assert collection is not None  # an id was given: found, or NotFound
    except NotFound:
        raise BusinessRuleError(
            f"Data collection {collection_id} not found.", errors={"data_collection_id": ["not found"]}
        ) from None
    return collection
