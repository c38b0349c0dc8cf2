import hashlib
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from accounts.factories import MembershipFactory
from accounts.models import ApiKey, User


def test_raw_key_format_and_only_digest_is_stored(alice):
    from accounts.services import api_key_create

    key, raw_key = api_key_create(user=alice, name="ci")
    assert re.fullmatch(r"sk_[0-9a-f]{32}", raw_key)
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.digest == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key.startswith(stored.prefix)
    assert len(stored.prefix) < len(raw_key) - 16
    every_stored_value = [str(value) for value in ApiKey.objects.filter(pk=key.pk).values().get().values()]
    assert raw_key not in every_stored_value


def test_keys_sharing_a_lookup_prefix_each_authenticate_as_themselves(alice, bob, monkeypatch):
    """The short prefix only narrows the lookup (it is not unique); the digest decides which key, if any, matches."""
    from accounts.services import api_key_authenticate, api_key_create

    tails = iter(["0" * 8 + "a" * 24, "0" * 8 + "b" * 24])
    monkeypatch.setattr("accounts.services.secrets.token_hex", lambda nbytes: next(tails))
    alices, alices_raw = api_key_create(user=alice)
    bobs, bobs_raw = api_key_create(user=bob)
    assert alices.prefix == bobs.prefix
    assert (api_key_authenticate(alices_raw).pk, api_key_authenticate(alices_raw).user) == (alices.pk, alice)
    assert (api_key_authenticate(bobs_raw).pk, api_key_authenticate(bobs_raw).user) == (bobs.pk, bob)
    assert api_key_authenticate("sk_" + "0" * 8 + "c" * 24) is None  # same prefix, no such key


def test_create_api_key_command_prints_the_key_last(alice, capsys):
    call_command("create_api_key", "ALICE@acme.test", "--name", "laptop")
    lines = capsys.readouterr().out.strip().splitlines()
    raw_key = lines[-1]
    assert re.fullmatch(r"sk_[0-9a-f]{32}", raw_key)
    key = ApiKey.objects.get(user=alice)
    assert key.name == "laptop"
    assert key.digest == hashlib.sha256(raw_key.encode()).hexdigest()


def test_create_api_key_command_rejects_unknown_user(db):
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_key", "nobody@example.com")


def test_user_model_logs_in_by_email(db):
    user = User.objects.create_user(email="Someone@Example.COM", password="pw-123456!")
    assert user.email == "Someone@example.com"
    assert user.check_password("pw-123456!")
    admin = User.objects.create_superuser(email="root@example.com", password="pw-123456!")
    assert admin.is_staff and admin.is_superuser


def test_email_is_unique_case_insensitively(db):
    User.objects.create_user(email="a@example.com", password="x")
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="A@example.com", password="x")


def test_a_user_belongs_to_at_most_one_organization(alice, globex):
    with pytest.raises(IntegrityError):
        MembershipFactory(user=alice, org=globex)
