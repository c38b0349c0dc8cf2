from django.db import models


class Metric(models.Model):
    """A catalog row. Its definition (arguments, inputs, scorer) lives in `metrics.registry`; rows mirror it."""

    id = models.PositiveIntegerField(primary_key=True)
    shortname = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    category = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    default_threshold = models.PositiveSmallIntegerField()
    is_active = models.BooleanField(default=True)
    args = models.JSONField(default=list, help_text="Declared arguments: name, type, default, required, description.")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.id} {self.shortname}"
