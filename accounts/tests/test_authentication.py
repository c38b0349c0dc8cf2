from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke

pytestmark = [pytest.mark.urls("aegis.tests.urls")]
URL = "/api/v1/numbers"


def get_with(header: str | None):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client.get(URL)


def assert_401(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str)


def test_valid_key_authenticates(alice):
    _, raw_key = api_key_create(user=alice)
    assert get_with(f"Bearer {raw_key}").status_code == 200


def test_missing_header_is_401_with_bearer_challenge(db):
    assert_401(get_with(None))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer sk_123",
        "Bearer sk_" + "G" * 32,
        "Bearer sk_" + "A" * 32,  # upper-case hex is not a key
        "Bearer pk_" + "a" * 32,
        "Basic dXNlcjpwYXNz",
        "Token sk_" + "a" * 32,
        "Bearer sk_" + "a" * 32 + " extra",
    ],
)
def test_malformed_header_is_401(db, header):
    assert_401(get_with(header))


def test_unknown_key_is_401(db):
    assert_401(get_with("Bearer sk_" + "0" * 32))


def test_revoked_key_is_401(alice):
    key, raw_key = api_key_create(user=alice)
    api_key_revoke(key=key)
    assert_401(get_with(f"Bearer {raw_key}"))


def test_expired_key_is_401(alice):
    _, raw_key = api_key_create(user=alice, expires_at=timezone.now() - timedelta(seconds=1))
    assert_401(get_with(f"Bearer {raw_key}"))


def test_key_not_yet_expired_works(alice):
    _, raw_key = api_key_create(user=alice, expires_at=timezone.now() + timedelta(days=1))
    assert get_with(f"Bearer {raw_key}").status_code == 200


def test_inactive_user_is_401(alice):
    _, raw_key = api_key_create(user=alice)
    alice.is_active = False
    alice.save()
    assert_401(get_with(f"Bearer {raw_key}"))


def test_key_in_query_string_never_authenticates(alice):
    _, raw_key = api_key_create(user=alice)
    assert_401(APIClient().get(URL, {"api_key": raw_key, "token": raw_key}))


def test_bearer_keyword_is_case_insensitive(alice):
    _, raw_key = api_key_create(user=alice)
    assert get_with(f"bearer {raw_key}").status_code == 200


def test_session_login_works_for_the_browsable_api(alice):
    client = APIClient()
    assert client.login(email="alice@acme.test", password="correct horse battery staple")
    assert client.get(URL).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(alice):
    key, raw_key = api_key_create(user=alice)
    get_with(f"Bearer {raw_key}")
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    get_with(f"Bearer {raw_key}")
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    get_with(f"Bearer {raw_key}")
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first - timedelta(minutes=1)
