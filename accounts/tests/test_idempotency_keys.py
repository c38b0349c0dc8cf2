"""The store of Idempotency-Keys: claims decided by the unique constraint, expiry, purging."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import idempotency
from accounts.models import IdempotencyKey
from aegis.idempotency import Claim, Outcome

pytestmark = pytest.mark.django_db

OUTCOME = Outcome(
    fingerprint="f" * 64, status=201, headers={"Content-Type": "application/json"}, body=b"{}", body_size=2
)


def claim(user, key="k", *, now=None, ttl=timedelta(hours=24)):
    now = now or timezone.now()
    return idempotency.claim(user=user, key=key, now=now, expires_at=now + ttl)


def test_the_first_claim_is_ours_the_next_sees_it_running_then_its_outcome(alice):
    first = claim(alice)
    assert first.token is not None
    assert claim(alice) == Claim()

    idempotency.complete(token=first.token, outcome=OUTCOME, now=timezone.now())

    assert claim(alice) == Claim(outcome=OUTCOME)


def test_a_released_claim_frees_the_key(alice):
    idempotency.release(token=claim(alice).token)
    assert not IdempotencyKey.objects.exists()
    assert claim(alice).token is not None


def test_a_finished_key_is_neither_released_nor_completed_again(alice):
    token = claim(alice).token
    idempotency.complete(token=token, outcome=OUTCOME, now=timezone.now())
    idempotency.release(token=token)
    idempotency.complete(token=token, outcome=Outcome("0" * 64, 500, {}, None, 0), now=timezone.now())
    assert claim(alice) == Claim(outcome=OUTCOME)


def test_a_claim_purges_the_users_expired_keys_only(alice, bob):
    past = timezone.now() - timedelta(days=2)
    claim(alice, "old", now=past)
    claim(bob, "old", now=past)
    claim(alice, "new")
    assert set(IdempotencyKey.objects.values_list("user__email", "key")) == {
        ("alice@acme.test", "new"),
        ("bob@acme.test", "old"),
    }


def test_is_known_ignores_expired_keys(alice):
    claim(alice, "old", now=timezone.now() - timedelta(days=2))
    claim(alice, "live")
    now = timezone.now()
    assert idempotency.is_known(user=alice, key="live", now=now)
    assert not idempotency.is_known(user=alice, key="old", now=now)
    assert not idempotency.is_known(user=alice, key="never", now=now)


def test_the_purge_command_deletes_expired_keys_and_keeps_live_ones(alice, bob, capsys):
    claim(alice, "live")
    claim(alice, "old", now=timezone.now() - timedelta(days=2))
    claim(bob, "old", now=timezone.now() - timedelta(hours=25))

    call_command("purge_idempotency_keys")

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["live"]
    assert capsys.readouterr().out.strip() == "Deleted 2 expired idempotency keys."


def test_a_users_keys_go_with_the_user(alice):
    claim(alice)
    alice.delete()
    assert not IdempotencyKey.objects.exists()
