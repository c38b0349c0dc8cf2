from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from accounts.ownership import VisibleQuerySet, ownership_constraints, unique_name_constraints
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
    # The latest version: its number, and where its records start (datasets.versions).
    version = models.PositiveIntegerField(default=1, editable=False)
    records_from_id = models.BigIntegerField(default=0, editable=False)
    # The run others are measured against: GET /runs/compare's default base, and the deltas on run summaries.
    baseline_run = models.ForeignKey(
        "runs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [*ownership_constraints("dataset"), *unique_name_constraints("dataset")]

    def __str__(self):
        return self.name


class DatasetVersion(models.Model):
    """One upload of a dataset's file. Version 1 is the dataset's first upload (its row is written when version 2
    is), and the dataset's own fields always describe its latest version.

    A version's records are the dataset's records with ids from `first_record_id` up to the next version's: the
    versions of one dataset are written one at a time, under the dataset's row lock, after the last one committed,
    so ids (from one increasing sequence) never interleave between versions, and no record is written afterwards.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    first_record_id = models.BigIntegerField()
    record_count = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_email = models.EmailField(max_length=254)
    selected_metrics = models.JSONField(default=dict)
    structure = models.JSONField(default=list)
    column_mappings = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["dataset", "number"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="dataset_version_number_unique")]

    def __str__(self):
        return f"Version {self.number} of dataset {self.dataset_id}"


class Record(models.Model):
    """One CSV row. Written in bulk by datasets.ingest (COPY on PostgreSQL), which gives the records of one upload
    the same created_at; the database default covers rows written any other way."""

    # Checked by database triggers instead of a foreign key: once per dataset and transaction, not once per row
    # (migration 0007 says how, and what it costs).
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="records", db_index=False, db_constraint=False
    )
    # Who uploaded the row's version. No database constraint: its per-row check made a COPY about a third slower,
    # and the integrity that matters is the dataset's (kept), whose owner is its user; deleting a user still sets
    # this to NULL, through Django's collector as before.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
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
