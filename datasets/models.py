from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from aegis.visibility import VisibleQuerySet, ownership_constraints, unique_name_constraints
from metrics.registry import RECORD_FIELDS  # noqa: F401  (re-exported: the apps that read records use it)

CUSTOM_TYPE_NAME = "CUSTOM"


class DatasetType(models.Model):
    id = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=128)
    description = models.TextField(null=True, blank=True)
    # Proprietary (catalog) datasets are never shared, never put in a collection, never in all-partial.
    is_proprietary = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.label


class Dataset(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="datasets"
    )
    org = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="datasets"
    )
    author_email = models.EmailField(max_length=254)
    dataset_type = models.ForeignKey(DatasetType, on_delete=models.PROTECT, related_name="datasets")
    name = models.CharField(max_length=255)
    selected_metrics = models.JSONField(default=dict)
    structure = models.JSONField(default=list)
    column_mappings = models.JSONField(null=True, blank=True)
    data_collection = models.ForeignKey(
        "collections_app.DataCollection", null=True, blank=True, on_delete=models.SET_NULL, related_name="datasets"
    )
    # Kept with the row so a million-record dataset never needs a COUNT to be described or paged.
    record_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [*ownership_constraints("dataset"), *unique_name_constraints("dataset")]

    def __str__(self):
        return self.name


class Record(models.Model):
    """One CSV row. Written in bulk (COPY on PostgreSQL), so timestamps come from database defaults."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="records", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    prompt = models.TextField(null=True, blank=True)
    input = models.TextField(null=True, blank=True)
    context = models.TextField(null=True, blank=True)
    output = models.TextField(null=True, blank=True)
    golden_answer = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        # Reading a dataset is always "its records in id order": one composite index serves it, even right
        # after a bulk load, when a plain dataset_id index would make the planner sort.
        indexes = [models.Index(fields=["dataset", "id"], name="record_dataset_id_idx")]

    def __str__(self):
        return f"Record {self.pk} of dataset {self.dataset_id}"
