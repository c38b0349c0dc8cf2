import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import ApiKey, User

KEY_PATTERN = re.compile(r"sk_[0-9a-f]{32}")
PREFIX_LENGTH = len("sk_") + 8
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("ascii")).hexdigest()


def api_key_create(*, user: User, name: str = "", expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its raw value, which is never stored and cannot be shown again."""
    raw_key = "sk_" + secrets.token_hex(16)
    key = ApiKey.objects.create(
        user=user, name=name, prefix=raw_key[:PREFIX_LENGTH], digest=_digest(raw_key), expires_at=expires_at
    )
    return key, raw_key


def api_key_revoke(*, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key matching raw_key, or None. Digests are compared in constant time."""
    if not KEY_PATTERN.fullmatch(raw_key):
        return None
    digest = _digest(raw_key)
    now = timezone.now()
    candidates = ApiKey.objects.select_related("user").filter(prefix=raw_key[:PREFIX_LENGTH])
    for key in candidates:
        if hmac.compare_digest(key.digest, digest):
            if not key.is_usable(now):
                return None
            _touch(key, now)
            return key
    return None


def _touch(key: ApiKey, now: datetime) -> None:
    # At most one write a minute per key: a busy client must not turn every read into a write.
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
