import threading
from decimal import Decimal

import pytest
from django.db import connections

from accounts.credits import (
    InsufficientCredits,
    Payer,
    balance_of,
    can_spend,
    check_can_pay,
    debit,
    payer_for,
)
from accounts.factories import OrganizationFactory
from accounts.models import Organization, User
from aegis.testing import requires_postgres

pytestmark = pytest.mark.django_db


def org_payer(org, balance) -> Payer:
    Organization.objects.filter(pk=org.pk).update(credit_balance=balance)
    return Payer(org_id=org.pk, user_id=None)


# payer_for


def test_member_of_an_org_is_paid_for_by_the_org(alice, acme, django_assert_num_queries):
    with django_assert_num_queries(1):  # the owner's membership
        assert payer_for(owner_id=alice.pk, org_id=None) == Payer(org_id=acme.pk, user_id=None)


def test_the_owners_org_pays_even_for_a_row_shared_with_another(alice, acme, globex):
    assert payer_for(owner_id=alice.pk, org_id=globex.pk) == Payer(org_id=acme.pk, user_id=None)


def test_user_without_org_pays_for_themselves(dave, django_assert_num_queries):
    with django_assert_num_queries(1):  # the owner's membership, found missing
        assert payer_for(owner_id=dave.pk, org_id=None) == Payer(org_id=None, user_id=dave.pk)


def test_org_only_row_is_paid_for_by_its_org(acme, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert payer_for(owner_id=None, org_id=acme.pk) == Payer(org_id=acme.pk, user_id=None)


def test_a_row_with_neither_owner_nor_org_has_no_payer():
    with pytest.raises(ValueError):
        payer_for(owner_id=None, org_id=None)


@pytest.mark.parametrize("ids", [(None, None), (1, 2)])
def test_a_payer_is_exactly_one_of_org_and_user(ids):
    with pytest.raises(ValueError):
        Payer(org_id=ids[0], user_id=ids[1])


# balance_of and can_spend


def test_balance_is_unlimited_by_default(acme, dave):
    assert balance_of(Payer(org_id=acme.pk, user_id=None)) is None
    assert balance_of(Payer(org_id=None, user_id=dave.pk)) is None


def test_user_balance_is_read_from_the_user(dave):
    User.objects.filter(pk=dave.pk).update(credit_balance=Decimal("3.25"))
    assert balance_of(Payer(org_id=None, user_id=dave.pk)) == Decimal("3.25")


def test_a_payer_that_no_longer_exists_has_nothing_to_spend(acme):
    payer = Payer(org_id=acme.pk, user_id=None)
    acme.delete()
    assert balance_of(payer) == 0
    assert can_spend(payer) is False


@pytest.mark.parametrize(
    ("balance", "expected"),
    [(None, True), (Decimal("0.000000000000001"), True), (Decimal(0), False), (Decimal(-1), False)],
)
def test_can_spend_while_unlimited_or_above_zero(acme, balance, expected):
    assert can_spend(org_payer(acme, balance)) is expected


# check_can_pay


def test_unlimited_payer_can_pay_anything(acme):
    check_can_pay(payer=org_payer(acme, None), estimated_cost=Decimal("1000000"))


def test_zero_balance_is_refused(acme):
    with pytest.raises(InsufficientCredits) as refused:
        check_can_pay(payer=org_payer(acme, Decimal(0)), estimated_cost=Decimal("0.01"))
    assert refused.value.balance == 0
    assert refused.value.estimated_cost == Decimal("0.01")


def test_balance_below_the_estimate_is_refused(acme):
    with pytest.raises(InsufficientCredits) as refused:
        check_can_pay(payer=org_payer(acme, Decimal("0.5")), estimated_cost=Decimal("1.2"))
    assert (refused.value.balance, refused.value.estimated_cost) == (Decimal("0.5"), Decimal("1.2"))


def test_balance_equal_to_the_estimate_is_allowed(acme):
    check_can_pay(payer=org_payer(acme, Decimal("1.2")), estimated_cost=Decimal("1.2"))


def test_zero_estimate_is_never_refused_even_below_zero(acme, django_assert_num_queries):
    payer = org_payer(acme, Decimal(-5))
    with django_assert_num_queries(0):
        check_can_pay(payer=payer, estimated_cost=Decimal(0))


def test_members_spend_the_org_balance_not_their_own(alice, acme):
    User.objects.filter(pk=alice.pk).update(credit_balance=Decimal(0))
    payer = payer_for(owner_id=alice.pk, org_id=None)
    check_can_pay(payer=payer, estimated_cost=Decimal(1))
    org_payer(acme, Decimal(0))
    with pytest.raises(InsufficientCredits):
        check_can_pay(payer=payer, estimated_cost=Decimal(1))


# debit


def test_debit_subtracts_in_one_query(acme, django_assert_num_queries):
    payer = org_payer(acme, Decimal(10))
    with django_assert_num_queries(1):  # the UPDATE
        debit(payer=payer, amount=Decimal("2.5"))
    assert balance_of(payer) == Decimal("7.5")


def test_debit_is_exact_to_fifteen_decimals(acme):
    payer = org_payer(acme, Decimal("1.000000000000001"))
    debit(payer=payer, amount=Decimal("0.123456789012345"))
    debit(payer=payer, amount=Decimal("0.000000000000001"))
    assert balance_of(payer) == Decimal("0.876543210987655")


@requires_postgres
def test_debit_is_exact_at_full_precision(acme):
    # Thirty significant digits: SQLite computes in doubles and reads back fifteen, PostgreSQL keeps them all.
    payer = org_payer(acme, Decimal("999999999999999.999999999999999"))
    debit(payer=payer, amount=Decimal("0.000000000000001"))
    assert balance_of(payer) == Decimal("999999999999999.999999999999998")


def test_debit_may_take_a_balance_below_zero(dave):
    User.objects.filter(pk=dave.pk).update(credit_balance=Decimal("0.1"))
    payer = Payer(org_id=None, user_id=dave.pk)
    debit(payer=payer, amount=Decimal("0.3"))
    assert balance_of(payer) == Decimal("-0.2")


def test_debit_leaves_an_unlimited_balance_unlimited(acme):
    payer = org_payer(acme, None)
    debit(payer=payer, amount=Decimal("5"))
    assert balance_of(payer) is None


def test_debit_of_zero_makes_no_query(acme, django_assert_num_queries):
    payer = org_payer(acme, Decimal(1))
    with django_assert_num_queries(0):
        debit(payer=payer, amount=Decimal(0))


def test_debit_touches_only_the_payer(acme, globex):
    payer = org_payer(acme, Decimal(5))
    org_payer(globex, Decimal(5))
    debit(payer=payer, amount=Decimal(1))
    assert Organization.objects.get(pk=globex.pk).credit_balance == 5


def test_a_negative_debit_is_refused(acme):
    with pytest.raises(ValueError):
        debit(payer=org_payer(acme, Decimal(1)), amount=Decimal(-1))


@requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_debits_lose_no_update():
    org = OrganizationFactory(credit_balance=Decimal(100))
    payer = Payer(org_id=org.pk, user_id=None)
    threads, debits_each, amount = 8, 25, Decimal("0.123456789012345")
    start = threading.Barrier(threads)
    failures = []

    def spend():
        try:
            start.wait()
            for _ in range(debits_each):
                debit(payer=payer, amount=amount)
        except Exception as error:  # reported by the main thread, which is the one pytest watches
            failures.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=spend) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    assert balance_of(payer) == Decimal(100) - threads * debits_each * amount
