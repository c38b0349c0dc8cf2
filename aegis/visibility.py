"""The one visibility rule shared by datasets, collections and runs (spec section 1.2).

A row is visible to a user who owns it, or to every member of the organization it is shared with.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class VisibleQuerySet(models.QuerySet):
    def visible_to(self, user):
        rule = Q(user_id=user.pk)
        if user.org_id is not None:
            rule |= Q(org_id=user.org_id)
        return self.filter(rule)

    def shared_filter(self, user, shared: bool | None):
        """`shared` of the list endpoints: None = all visible, False = owned, True = shared with me, not mine."""
        visible = self.visible_to(user)
        if shared is None:
            return visible
        if shared is False:
            return visible.filter(user_id=user.pk)
        if user.org_id is None:
            return visible.none()
        return visible.filter(org_id=user.org_id).exclude(user_id=user.pk)


def ownership_constraints(prefix: str) -> list:
    """A row is owned by a user, an organization, or both; never by no one."""
    return [
        models.CheckConstraint(condition=Q(user__isnull=False) | Q(org__isnull=False), name=f"{prefix}_has_an_owner")
    ]


def unique_name_constraints(prefix: str) -> list:
    """Names are unique case-insensitively per owner for private rows and per organization for shared ones."""
    return [
        models.UniqueConstraint(
            Lower("name"), "user", condition=Q(org__isnull=True), name=f"{prefix}_name_unique_per_user"
        ),
        models.UniqueConstraint(
            Lower("name"), "org", condition=Q(org__isnull=False), name=f"{prefix}_name_unique_per_org"
        ),
    ]
