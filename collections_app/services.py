from django.db import IntegrityError, transaction

from accounts.models import User
from aegis.exceptions import BusinessRuleError
from collections_app.models import DataCollection


def collection_create(*, user: User, name: str) -> DataCollection:
    """A private collection owned by the caller (attaching datasets and sharing come with the update flows)."""
    name = name.strip()
    if not name:
        raise BusinessRuleError("Invalid name: name must not be empty.", errors={"name": ["must not be empty"]})
    if DataCollection.objects.filter(user=user, org=None, name__iexact=name).exists():
        raise _duplicate(name)
    try:
        with transaction.atomic():
            return DataCollection.objects.create(user=user, name=name, author_email=user.email)
    except IntegrityError as exc:
        if "collection_name_unique" in str(exc):
            raise _duplicate(name) from None
        raise


def _duplicate(name: str) -> BusinessRuleError:
    message = f"A data collection named '{name}' already exists in your account."
    return BusinessRuleError(message, errors={"name": [message]})
