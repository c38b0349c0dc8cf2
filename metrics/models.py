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


class JudgeCacheEntry(models.Model):
    """A judge reply, keyed by a digest of the whole request (provider, model, messages, schema, parameters).

    An identical request is answered from here at no cost. Only valid replies are stored: errors never are.
    """

    key = models.CharField(max_length=64, primary_key=True)
    model = models.CharField(max_length=255)
    reply = models.JSONField()
    tokens_in = models.PositiveIntegerField()
    tokens_out = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "judge cache entry"
        verbose_name_plural = "judge cache entries"

    def __str__(self):
        return f"{self.model} {self.key[:12]}"
