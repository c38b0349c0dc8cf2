"""Request rates per API key (THROTTLE_RATE, THROTTLE_CREATE_RATE), over real requests and the real cache."""

import socket
import uuid

import orjson
import pytest
from redis import Redis

from aegis.tests.creates import CREATES, content
from collections_app.models import DataCollection
from conftest import client_for

pytestmark = pytest.mark.django_db

REDIS = "redis://127.0.0.1:6379/13"


def redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def assert_throttled(response):
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert 1 <= int(response["Retry-After"]) <= 60
    payload = orjson.loads(content(response))
    assert list(payload) == ["detail"]
    assert payload["detail"].startswith("Request was throttled.")


def test_requests_past_the_rate_get_a_429_with_retry_after_and_a_json_body(alice_api, settings):
    settings.THROTTLE_RATE = "3/min"
    for _ in range(3):
        assert alice_api.get("/api/v1/datasets/all-partial").status_code == 200
    assert_throttled(alice_api.get("/api/v1/datasets/all-partial"))
    assert_throttled(alice_api.get("/api/v1/metrics"))  # the rate is the key's, whatever it asks


def test_each_api_key_has_its_own_budget(alice_api, alice, bob_api, settings):
    settings.THROTTLE_RATE = "1/min"
    assert alice_api.get("/api/v1/metrics").status_code == 200
    assert alice_api.get("/api/v1/metrics").status_code == 429
    assert client_for(alice).get("/api/v1/metrics").status_code == 200
    assert bob_api.get("/api/v1/metrics").status_code == 200


def test_the_create_rate_counts_creates_only(alice_api, settings):
    settings.THROTTLE_CREATE_RATE = "2/min"
    create = CREATES["data-collections"]
    assert create.send(alice_api, {}, variant="a").status_code == 201
    assert create.send(alice_api, {}, variant="b").status_code == 201
    assert_throttled(create.send(alice_api, {}, variant="c"))
    assert alice_api.get("/api/v1/data-collections").status_code == 200
    assert DataCollection.objects.count() == 2


def test_a_request_without_a_valid_key_is_a_401_never_a_429(anon_api, settings):
    settings.THROTTLE_RATE = "1/min"
    for _ in range(3):
        assert anon_api.get("/api/v1/metrics").status_code == 401
    anon_api.credentials(HTTP_AUTHORIZATION="Bearer sk_" + "0" * 32)
    for _ in range(3):
        assert anon_api.get("/api/v1/metrics").status_code == 401


def test_a_replay_counts_against_the_request_rate_but_not_the_create_rate(alice_api, settings):
    settings.THROTTLE_CREATE_RATE = "1/min"
    settings.THROTTLE_RATE = "4/min"
    create = CREATES["data-collections"]
    assert create.send(alice_api, {}, key="once").status_code == 201
    assert create.send(alice_api, {}, key="once")["Idempotent-Replayed"] == "true"
    assert create.send(alice_api, {}, key="once")["Idempotent-Replayed"] == "true"
    assert_throttled(create.send(alice_api, {}, key="new", variant="b"))  # a real create: over the create rate
    assert_throttled(create.send(alice_api, {}, key="once"))  # 4 requests: over the request rate
    assert DataCollection.objects.count() == 1


@pytest.mark.parametrize("rate", [None, ""])
def test_an_empty_rate_turns_the_limit_off(alice_api, settings, rate):
    settings.THROTTLE_RATE = rate
    settings.THROTTLE_CREATE_RATE = rate
    for variant in "abcde":
        assert CREATES["data-collections"].send(alice_api, {}, variant=variant).status_code == 201


@pytest.mark.parametrize(
    ("value", "rate"), [("0", None), ("", None), ("120/min", "120/min"), ("5/s", "5/s"), ("100/day", "100/day")]
)
def test_rates_are_read_from_the_environment(monkeypatch, value, rate):
    from aegis.settings import _rate

    monkeypatch.setenv("THROTTLE_TEST_RATE", value)
    assert _rate("THROTTLE_TEST_RATE", "1/min") == rate


@pytest.mark.parametrize("value", ["lots", "0/min", "10/fortnight", "-1/s", "1.5/min"])
def test_a_malformed_rate_stops_the_server_from_starting(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from aegis.settings import _rate

    monkeypatch.setenv("THROTTLE_TEST_RATE", value)
    with pytest.raises(ImproperlyConfigured, match="THROTTLE_TEST_RATE must be a rate"):
        _rate("THROTTLE_TEST_RATE", "1/min")


@pytest.mark.skipif(not redis_is_up(), reason="needs Redis at 127.0.0.1:6379")
def test_counters_are_shared_through_redis(alice_api, settings):
    prefix = f"aegis-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS, "KEY_PREFIX": prefix}
    }
    settings.THROTTLE_RATE = "2/min"
    redis = Redis.from_url(REDIS)
    try:
        assert alice_api.get("/api/v1/metrics").status_code == 200
        assert alice_api.get("/api/v1/metrics").status_code == 200
        assert redis.keys(f"{prefix}:*throttle_key_key*")  # the counter lives in Redis, for every process
        assert_throttled(alice_api.get("/api/v1/metrics"))
    finally:
        for name in redis.scan_iter(f"{prefix}:*"):
            redis.delete(name)
        redis.close()


def test_unreachable_counters_let_requests_through(alice_api, settings, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/13",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    settings.THROTTLE_RATE = "1/min"
    assert alice_api.get("/api/v1/metrics").status_code == 200
    assert alice_api.get("/api/v1/metrics").status_code == 200
    assert "Throttle cache unavailable" in caplog.text
