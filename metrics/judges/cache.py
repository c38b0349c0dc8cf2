"""The judge cache: a valid reply stored under a digest of everything that shaped the request."""

from __future__ import annotations

import hashlib
import json

from django.db import IntegrityError, transaction

from metrics.models import JudgeCacheEntry

from .routing import ModelRoute


def request_key(route: ModelRoute, base_url: str | None, body: dict) -> str:
    material = {"provider": route.provider, "base_url": base_url or "", "body": body}
    encoded = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def cached_reply(key: str) -> JudgeCacheEntry | None:
    return JudgeCacheEntry.objects.filter(key=key).first()


def store_reply(*, key: str, model: str, reply: dict, tokens_in: int, tokens_out: int) -> None:
    try:
        with transaction.atomic():
            JudgeCacheEntry.objects.create(
                key=key, model=model, reply=reply, tokens_in=tokens_in, tokens_out=tokens_out
            )
    except IntegrityError:
        pass  # the same request answered concurrently: either reply will do
