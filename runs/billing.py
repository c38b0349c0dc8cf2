"""The balance check made before a run or an evaluation is created: a payer who cannot cover it is refused.

The rule itself lives in accounts.credits; this module only gives its refusal a message.
"""

from decimal import Context, Decimal

from accounts.credits import InsufficientCredits, Payer, check_can_pay
from aegis.errors import PaymentRequired

CENTS = Decimal("0.01")
# Enough digits for any stored amount (30), so a message never rounds what it reports.
EXACT = Context(prec=40)


class InsufficientBalance(PaymentRequired):
    default_detail = "Insufficient balance for this run."


def check_balance(*, payer: Payer, estimated_cost: Decimal) -> None:
    """Raise InsufficientBalance when `payer` cannot pay for a run estimated at `estimated_cost`."""
    try:
        check_can_pay(payer=payer, estimated_cost=estimated_cost)
    except InsufficientCredits as refused:
        balance, estimate = _amount(refused.balance), _amount(refused.estimated_cost)
        raise InsufficientBalance(
            f"Insufficient credits: balance {balance} is below this run's estimated cost {estimate}.",
            errors={"credit_balance": balance, "estimated_cost": estimate},
        ) from refused


def _amount(value: Decimal) -> str:
    """Two decimals when they are exact, else every significant one: 0.50, 1.20, 0.000125, never 0.500000000000000."""
    cents = value.quantize(CENTS)
    return format(cents if cents == value else value.normalize(EXACT), "f")
