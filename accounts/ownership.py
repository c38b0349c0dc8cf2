"""Who owns a dataset, a collection or a run, who sees it, who may re-share or delete it, and what it may be named.

A row is owned by a user, an organization, or both. It is visible to its owner and to every member of the
organization it is shared with. These rules are generic: the models that follow them (datasets, collections, runs)
pass themselves in, so this module knows none of them.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import Membership, User
from aegis.db import constraint_violation
from aegis.errors import BusinessRuleError, Forbidden
from aegis.names import name_problem


class Owned(Protocol):
    """A row that follows these rules: a dataset, a collection or a run."""

    pk: Any
    user_id: int | None
    org_id: int | None


def org_id_of(user: User) -> int | None:
    """The user's organization, or None. One query per user object: visibility asks for it many times a request."""
    cached: int | None
    try:
        cached = user.__dict__["_org_id"]
    except KeyError:
        cached = Membership.objects.filter(user_id=user.pk).values_list("org_id", flat=True).first()
        user.__dict__["_org_id"] = cached
    return cached


# Visibility


class VisibleQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> "VisibleQuerySet":
        rule = Q(user_id=user.pk)
        org_id = org_id_of(user)
        if org_id is not None:
            rule |= Q(org_id=org_id)
        return self.filter(rule)

    def shared_filter(self, user: User, shared: bool | None) -> "VisibleQuerySet":
        """`shared` of the list endpoints: None = all visible, False = owned, True = shared with me, not mine."""
        visible = self.visible_to(user)
        if shared is None:
            return visible
        if shared is False:
            return visible.filter(user_id=user.pk)
        org_id = org_id_of(user)
        if org_id is None:
            return visible.none()
        return visible.filter(org_id=org_id).exclude(user_id=user.pk)


def ownership_constraints(prefix: str) -> list[models.BaseConstraint]:
    """A row is owned by a user, an organization, or both; never by no one."""
    return [
        models.CheckConstraint(condition=Q(user__isnull=False) | Q(org__isnull=False), name=f"{prefix}_has_an_owner")
    ]


# Re-sharing and deleting


def org_in_collection(*, row: Owned, collection_org_id: int | None, changes: dict[str, Any], noun: str) -> int | None:
    """The org a dataset or run takes from the collection it is in: an org-shared collection decides (a sent
    `org_id` must agree); otherwise the sent `org_id`, or the current one."""
    if collection_org_id is None:
        return changes.get("org_id", row.org_id)
    if "org_id" in changes and changes["org_id"] != collection_org_id:
        if changes["org_id"] is None:
            message = f"The {noun} is in an org-shared collection; send data_collection_id: null to unshare it."
        else:
            message = f"org_id must equal the organization of the {noun}'s collection."
        raise BusinessRuleError(message, errors={"org_id": [message]})
    return collection_org_id


def check_org_id_change(*, user: User, row: Owned, org_id: int | None) -> None:
    """Only the owner changes `org_id`; an org-only row keeps its org, and a member may only re-send it."""
    if row.user_id is None:
        if org_id != row.org_id:
            raise Forbidden("An org-only object cannot be unshared or moved to another organization.")
        return
    if org_id == row.org_id:
        return  # re-sending the current value changes nothing, so anyone who may edit may send it
    if row.user_id != user.pk:
        raise Forbidden("Only the owner may change org_id.")
    if org_id is not None and org_id != org_id_of(user):
        raise BusinessRuleError("org_id must be your own organization or null.", errors={"org_id": ["not your org"]})


def check_delete_allowed(*, user: User, row: Owned, noun: str) -> None:
    """The owner deletes; an org-only row is deleted by an admin of its org. Anyone else who can see it: 403."""
    if row.user_id == user.pk:
        return
    is_org_only = row.user_id is None and row.org_id is not None
    if is_org_only and Membership.objects.filter(user=user, org_id=row.org_id, role=Membership.Role.ADMIN).exists():
        return
    raise Forbidden(f"Only the {noun}'s owner (or an org admin, for an org-only {noun}) may delete it.")


# Names: trimmed, 1-255 characters, no control characters, unique case-insensitively per organization for shared
# rows and per owner for private ones. The database holds the uniqueness too, for requests that race.

NAME_SCOPES = ("user", "org")


def unique_name_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The database's side of the name rule: one constraint per scope, named `{prefix}_name_unique_per_{scope}`."""
    return [
        models.UniqueConstraint(
            Lower("name"), "user", condition=Q(org__isnull=True), name=f"{prefix}_name_unique_per_user"
        ),
        models.UniqueConstraint(
            Lower("name"), "org", condition=Q(org__isnull=False), name=f"{prefix}_name_unique_per_org"
        ),
    ]


def clean_name(name: str) -> str:
    """The trimmed name, when its shape is acceptable (the uniqueness is check_name_free's)."""
    name = name.strip()
    problem = name_problem(name)
    if problem is not None:
        raise BusinessRuleError(f"Invalid name: {problem}.", errors={"name": [problem]})
    return name


def check_name_free(
    *, model: type[models.Model], name: str, owner_id: int | None, org_id: int | None, exclude_id: int | None = None
) -> None:
    """The one uniqueness check: per organization for a shared row, per owner for a private one."""
    manager = model._default_manager
    scope = manager.filter(org_id=org_id) if org_id is not None else manager.filter(user_id=owner_id, org=None)
    if scope.filter(name__iexact=name).exclude(pk=exclude_id).exists():
        raise duplicate_name(model, name, org_id=org_id)


def name_error(
    *, model: type[models.Model], name: str, owner_id: int | None, org_id: int | None, exclude_id: int | None = None
) -> BusinessRuleError | None:
    """What the name rule says against `name` (already trimmed), or None: for checks that report, not raise."""
    try:
        check_name_free(model=model, name=clean_name(name), owner_id=owner_id, org_id=org_id, exclude_id=exclude_id)
    except BusinessRuleError as error:
        return error
    return None


def duplicate_name(model: type[models.Model], name: str, *, org_id: int | None) -> BusinessRuleError:
    where = "in your organization" if org_id is not None else "in your account"
    message = f"A {model._meta.verbose_name} named '{name}' already exists {where}."
    return BusinessRuleError(message, errors={"name": [message]})


class Named(Owned, Protocol):
    name: str


@contextmanager
def names_stay_unique(*owned: type[models.Model], row: Named | None = None) -> Iterator[None]:
    """A write that another request raced for a name (that of `row`, when given), or a cascade that moves rows into
    an account or organization where a name is taken, is refused with a 400 instead of failing in the database."""

    def refusal(model: type[models.Model]) -> Callable[[], BusinessRuleError]:
        if row is not None:
            return lambda: duplicate_name(model, row.name, org_id=row.org_id)  # as the row was when it failed
        message = (
            f"A {model._meta.verbose_name} with the same name already exists in the account or organization it "
            "would move to."
        )
        return lambda: BusinessRuleError(message, errors={"name": [message]})

    suffixes = tuple(f"_name_unique_per_{scope}" for scope in NAME_SCOPES)
    errors = {
        constraint.name: refusal(model)
        for model in owned
        for constraint in model._meta.constraints
        if constraint.name.endswith(suffixes)
    }
    with constraint_violation(errors):
        yield
