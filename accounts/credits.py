"""Who pays for judge calls, whether they can, and the debit. The one home of the credit rule.

A balance of None means unlimited. Members of an organization spend its credits, whatever their own balance says;
a user without one spends their own; an org-only row (no owner) is paid by its organization.

The check before a run is advisory (it reads a balance that concurrent runs are spending), so the debit is the
authority: it subtracts in the database, never from a value read earlier, and no debit is lost. A balance may
therefore end a little below zero, by at most what concurrent runs spent between two `can_spend` checks.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F

from accounts.models import Membership, Organization, User

ZERO = Decimal(0)


@dataclass(frozen=True)
class Payer:
    """The account that is debited: an organization or a user, never both."""

    org_id: int | None
    user_id: int | None

    def __post_init__(self) -> None:
        if (self.org_id is None) == (self.user_id is None):
            raise ValueError("A payer is either an organization or a user.")

    def _rows(self):
        if self.org_id is not None:
            return Organization.objects.filter(pk=self.org_id)
        return User.objects.filter(pk=self.user_id)


class InsufficientCredits(Exception):
    """The payer cannot afford what is about to be spent. `balance` is what the payer had when asked."""

    def __init__(self, *, balance: Decimal, estimated_cost: Decimal) -> None:
        super().__init__(f"Balance {balance} is below the estimated cost {estimated_cost}.")
        self.balance = balance
        self.estimated_cost = estimated_cost


def payer_for(*, owner_id: int | None, org_id: int | None) -> Payer:
    """The payer of a row owned by `owner_id` (and possibly shared with `org_id`)."""
    if owner_id is None:
        if org_id is None:
            raise ValueError("A row without an owner must belong to an organization.")
        return Payer(org_id=org_id, user_id=None)
    # The owner's own organization pays, not the one the row is shared with: a row shared elsewhere is still
    # the owner's spending.
    owner_org_id = Membership.objects.filter(user_id=owner_id).values_list("org_id", flat=True).first()
    if owner_org_id is not None:
        return Payer(org_id=owner_org_id, user_id=None)
    return Payer(org_id=None, user_id=owner_id)


def balance_of(payer: Payer) -> Decimal | None:
    """The payer's balance, None for unlimited."""
    balances = list(payer._rows().values_list("credit_balance", flat=True))
    # A payer deleted while its run is still scoring has nothing left to spend; unlimited would be the wrong default.
    return balances[0] if balances else ZERO


def check_can_pay(*, payer: Payer, estimated_cost: Decimal) -> None:
    """Raise InsufficientCredits when the payer has a limit and it does not cover `estimated_cost`."""
    if estimated_cost <= 0:
        # Structural metrics cost nothing and are never refused, whatever the balance; no query is made.
        return
    balance = balance_of(payer)
    if balance is not None and (balance <= 0 or balance < estimated_cost):
        raise InsufficientCredits(balance=balance, estimated_cost=estimated_cost)


def can_spend(payer: Payer) -> bool:
    """Whether more judge calls may start: unlimited, or some balance left."""
    balance = balance_of(payer)
    return balance is None or balance > 0


def debit(*, payer: Payer, amount: Decimal) -> None:
    """Subtract a cost already incurred. Unlimited payers are left as they are."""
    if amount < 0:
        raise ValueError("A debit cannot be negative.")
    if amount == 0:
        return
    # One UPDATE computed by the database: concurrent debits queue on the row lock and none overwrites another.
    payer._rows().filter(credit_balance__isnull=False).update(credit_balance=F("credit_balance") - amount)
