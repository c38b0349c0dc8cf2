"""Shared fixtures: alice owns things, bob shares her organization, carol is in another one, dave has none.

Every API client sends a real `Authorization: Bearer sk_...` header with a key made by the real service.
"""

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from accounts.factories import MembershipFactory, OrganizationFactory, UserFactory
from accounts.models import Membership, User
from accounts.services import api_key_create
from collections_app.models import DataCollection
from datasets.models import Dataset, DatasetType

# The `browser` fixture: a headless system Chromium driven by selenium.
pytest_plugins = ["aegis.testing.browser"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def request_counters_per_test(settings):
    """Request-rate counters start at zero in every test, in a local cache: ids repeat across tests on SQLite, and a
    Redis named in the environment is never flushed."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    local = caches["default"]  # held: a test may point CACHES elsewhere, and that cache is not this fixture's to clear
    local.clear()
    yield
    local.clear()


def client_for(user) -> APIClient:
    _, raw_key = api_key_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    client.raw_key = raw_key
    return client


@pytest.fixture
def acme(db):
    return OrganizationFactory(name="Acme")


@pytest.fixture
def globex(db):
    return OrganizationFactory(name="Globex")


@pytest.fixture
def alice(acme):
    user = UserFactory(email="alice@acme.test")
    MembershipFactory(user=user, org=acme, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def bob(acme):
    user = UserFactory(email="bob@acme.test")
    MembershipFactory(user=user, org=acme, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def carol(globex):
    user = UserFactory(email="carol@globex.test")
    MembershipFactory(user=user, org=globex, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def dave(db):
    return UserFactory(email="dave@solo.test")


@pytest.fixture
def private_collection(alice):
    return DataCollection.objects.create(name="Mine", user=alice, author_email=alice.email)


@pytest.fixture
def team_collection(alice, acme):
    """Alice's collection shared with Acme."""
    return DataCollection.objects.create(name="Team", user=alice, org=acme, author_email=alice.email)


@pytest.fixture
def acme_org_only(acme):
    """An org-only dataset of Acme (no individual owner), as staff make them; as {"id": ...} like API bodies."""
    dataset = Dataset.objects.create(
        org=acme,
        author_email="staff@acme.test",
        dataset_type=DatasetType.objects.get(name="CUSTOM"),
        name="Org only",
        selected_metrics={"1": {"threshold": 70, "metric_args": None}},
        structure=["prompt"],
    )
    return {"id": dataset.pk}


@pytest.fixture
def staff_client(client, db):
    """Django's test client logged in to the admin as a superuser."""
    User.objects.create_superuser(email="staff@aegis.test", password="pw-123456!")
    client.login(email="staff@aegis.test", password="pw-123456!")
    return client


@pytest.fixture
def alice_api(alice):
    return client_for(alice)


@pytest.fixture
def bob_api(bob):
    return client_for(bob)


@pytest.fixture
def carol_api(carol):
    return client_for(carol)


@pytest.fixture
def dave_api(dave):
    return client_for(dave)


@pytest.fixture
def anon_api():
    return APIClient()


@pytest.fixture
def llm_server(monkeypatch):
    """A started loopback LLM server (aegis.testing.llm_server), with both SDKs pointed at it through the environment.

    It answers only what the test scripts: `llm_server.enqueue(json_reply(...))` or `llm_server.responder = ...`.
    """
    from aegis.testing.llm_server import LlmServer

    with LlmServer() as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai")
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_base_url)
        yield server
