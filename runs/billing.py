"""The balance check made before a run is created (spec 2.1, 402).

The billing model is not documented, so the default allows everything. A deployment with credits replaces
`check_balance` (or patches it in tests) and raises InsufficientBalance when the caller cannot pay.
"""

from rest_framework import status
from rest_framework.exceptions import APIException


class InsufficientBalance(APIException):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_detail = "Insufficient balance for this run."
    default_code = "insufficient_balance"


def check_balance(user, evaluations: int) -> None:
    """Raise InsufficientBalance when `user` cannot pay for `evaluations` evaluations."""
    return None
