from django.conf import settings
from django.db import models

from accounts.ownership import VisibleQuerySet, ownership_constraints, unique_name_constraints


class DataCollection(models.Model):
    """A folder of datasets and runs. Private (user, no org), org-shared (user and org) or org-only (org, no user)."""

    name = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="collections"
    )
    org = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="collections"
    )
    author_email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [*ownership_constraints("collection"), *unique_name_constraints("collection")]

    def __str__(self):
        return self.name
