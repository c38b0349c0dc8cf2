"""The store of Idempotency-Keys behind aegis.idempotency (its `Store` interface): a key is its user's.

Every write is one statement or one short transaction of its own, committed at once, so that a claim is seen by the
other processes while the request that made it is still running.
"""

from datetime import datetime

from django.db import IntegrityError, transaction

from accounts.models import IdempotencyKey, User
from aegis.idempotency import Claim, Outcome

# A claim that vanished between the failed insert and the read (its request released it) is tried again.
_CLAIM_ATTEMPTS = 3


def claim(*, user: User, key: str, now: datetime, expires_at: datetime) -> Claim:
    """The key for this request if it is new or expired, else what its earlier request left."""
    # An expired key is a new key. Purging all of the user's expired keys here keeps the table small between purges.
    IdempotencyKey.objects.filter(user=user, expires_at__lte=now).delete()
    for _ in range(_CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(user=user, key=key, created_at=now, expires_at=expires_at)
            return Claim(token=row.pk)
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(user=user, key=key).first()
        if row is not None:
            return Claim(outcome=_outcome(row)) if row.completed_at is not None else Claim()
    return Claim()


def complete(*, token: int, outcome: Outcome, now: datetime) -> None:
    IdempotencyKey.objects.filter(pk=token, completed_at__isnull=True).update(
        completed_at=now,
        fingerprint=outcome.fingerprint,
        status=outcome.status,
        headers=outcome.headers,
        body=outcome.body,
        body_size=outcome.body_size,
    )


def release(*, token: int) -> None:
    """Frees a key whose request ended without an answer worth keeping, so that a retry runs again."""
    IdempotencyKey.objects.filter(pk=token, completed_at__isnull=True).delete()


def is_known(*, user: User, key: str, now: datetime) -> bool:
    return IdempotencyKey.objects.filter(user=user, key=key, expires_at__gt=now).exists()


def purge_expired(*, now: datetime) -> int:
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now).delete()
    return deleted


def _outcome(row: IdempotencyKey) -> Outcome:
    return Outcome(
        fingerprint=row.fingerprint,
        status=row.status or 0,
        headers=row.headers,
        body=None if row.body is None else bytes(row.body),
        body_size=row.body_size or 0,
    )
