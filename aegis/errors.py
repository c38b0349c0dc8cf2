"""Domain errors: what services and selectors raise when a rule says no.

Plain Python, so the admin, management commands and tasks can catch them as well as the API; only the API's
exception handler (aegis.exceptions) knows which HTTP status each one answers.
"""


class DomainError(Exception):
    """A refusal with a message for a person and, optionally, the fields it concerns ({field: [messages]})."""

    default_detail = "The request breaks a rule."

    def __init__(self, detail: str | None = None, errors: dict[str, list[str]] | None = None):
        self.detail = detail or self.default_detail
        self.errors = errors
        super().__init__(self.detail)


class BusinessRuleError(DomainError):
    """Well formed, but against a rule of the product (bad CSV, unknown metric, duplicate name)."""


class NotFound(DomainError):
    """The object does not exist or the caller may not see it: both look the same from outside."""

    default_detail = "Not found."


class Forbidden(DomainError):
    """The caller sees the object but may not do this to it."""

    default_detail = "You do not have permission to perform this action."


class PaymentRequired(DomainError):
    """The payer's balance cannot cover the work asked for."""

    default_detail = "Insufficient balance."
