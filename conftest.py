"""Shared fixtures: alice owns things, bob shares her organization, carol is in another one, dave has none.

Every API client sends a real `Authorization: Bearer sk_...` header with a key made by the real service.
"""

import pytest
from rest_framework.test import APIClient

from accounts.factories import MembershipFactory, OrganizationFactory, UserFactory
from accounts.models import Membership
from accounts.services import api_key_create


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
