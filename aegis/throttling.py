"""Request rates per API key: DRF's throttles, counted in the default cache (Redis when REDIS_URL is set).

The caller is its API key (two keys of one user have a budget each), a browser session its user, anyone else its
address. DRF checks authentication and permissions before throttles, so a request without a valid key is a 401,
never a 429. Rates are read from the settings on every request. DRF keeps each caller's recent request times under
one cache key, read and written back, so workers counting at the same instant may let a request or two past the
rate: a guard against floods, not an exact quota.
"""

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger("aegis.throttling")


class KeyRateThrottle(SimpleRateThrottle):
    """Every request, against THROTTLE_RATE."""

    scope = "key"
    setting = "THROTTLE_RATE"

    def get_rate(self):
        return getattr(settings, self.setting) or None

    def get_cache_key(self, request, view):
        key_id = getattr(request.auth, "pk", None)
        if key_id is not None:
            ident = f"key{key_id}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = f"ip{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:
            # Unreachable counters must not take the API down with them: the request goes through uncounted.
            logger.warning("Throttle cache unavailable; request not counted", exc_info=True)
            return True


class CreateRateThrottle(KeyRateThrottle):
    """The creates, which cost far more than reads, against THROTTLE_CREATE_RATE as well.

    A request whose Idempotency-Key already has a request behind it creates nothing (it is a replay, a 409 or a 422),
    so it counts against THROTTLE_RATE only.
    """

    scope = "create"
    setting = "THROTTLE_CREATE_RATE"

    def allow_request(self, request, view):
        # Imported here: DRF imports the throttle classes while it defines APIView, before aegis.idempotency can be.
        from aegis.idempotency import IS_CREATE, answered_from_store

        if self.rate is None or not getattr(getattr(view, request.method.lower(), None), IS_CREATE, False):
            return True
        if answered_from_store(request):
            return True
        return super().allow_request(request, view)
