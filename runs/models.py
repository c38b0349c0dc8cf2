from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.ownership import VisibleQuerySet, ownership_constraints
from metrics.registry import RECORD_FIELDS  # noqa: F401  (re-exported for the runs modules)

ALIAS_MAX_LENGTH = 255


class Run(models.Model):
    class RunType(models.TextChoices):
        DATASET = "dataset", "Dataset"
        CUSTOM = "custom", "Custom"

    class RunSource(models.TextChoices):
        API = "api", "API Call"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    org = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    author_email = models.EmailField(max_length=254)
    run_type = models.CharField(max_length=16, choices=RunType.choices)
    run_source = models.CharField(max_length=16, choices=RunSource.choices, default=RunSource.API)
    dataset = models.ForeignKey(
        "datasets.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    data_collection = models.ForeignKey(
        "collections_app.DataCollection", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    # The dataset version a dataset run scored (null for custom runs).
    dataset_version = models.PositiveIntegerField(null=True, blank=True)
    threshold = models.PositiveSmallIntegerField(null=True, blank=True)
    model_slug = models.CharField(max_length=64, null=True, blank=True)
    alias = models.CharField(max_length=ALIAS_MAX_LENGTH)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written once, by the step that sets finished_at, so reading a run never aggregates its evaluations.
    result = models.FloatField(null=True, blank=True)
    aggregate_results = models.JSONField(null=True, blank=True)
    total_cost = models.DecimalField(max_digits=30, decimal_places=15, default=0)
    is_gte_threshold = models.BooleanField(null=True, blank=True)
    # Progress, kept by the writes that finish evaluations, so following a run never counts its evaluations.
    metric_count = models.PositiveIntegerField(default=0)
    evaluation_count = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            *ownership_constraints("run"),
            models.UniqueConstraint(fields=["user", "alias"], name="run_alias_unique_per_user"),
        ]

    def __str__(self):
        return self.alias

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        FINISHED = "finished"
        CANCELLED = "cancelled"

    @property
    def status(self) -> str:
        if self.cancelled_at is not None:
            return self.Status.CANCELLED
        if self.finished_at is not None:
            return self.Status.FINISHED
        return self.Status.RUNNING if self.done_count else self.Status.PENDING

    @classmethod
    def status_filter(cls, status: str) -> Q:
        """The same rule as `status`, as a query."""
        not_cancelled = Q(cancelled_at__isnull=True)
        return {
            cls.Status.CANCELLED: Q(cancelled_at__isnull=False),
            cls.Status.FINISHED: not_cancelled & Q(finished_at__isnull=False),
            cls.Status.RUNNING: not_cancelled & Q(finished_at__isnull=True, done_count__gt=0),
            cls.Status.PENDING: not_cancelled & Q(finished_at__isnull=True, done_count=0),
        }[status]


class RunRecord(models.Model):
    """A row sent inline to a custom run. Dataset records need a dataset, so custom rows live here instead."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="run_records")
    prompt = models.TextField(null=True, blank=True)
    input = models.TextField(null=True, blank=True)
    context = models.TextField(null=True, blank=True)
    output = models.TextField(null=True, blank=True)
    golden_answer = models.TextField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"Row {self.pk} of run {self.run_id}"


class Evaluation(models.Model):
    """One metric applied to one row: a dataset Record (dataset runs) or a RunRecord (custom runs).

    Pending while is_success is null. Written in bulk (COPY on PostgreSQL), so every column is set explicitly.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="evaluations", db_index=False)
    # No database constraint: checking it would lock each scored record (FOR KEY SHARE) at commit, which costs
    # more than scoring it. The ORM still nulls the link when a record is deleted.
    record = models.ForeignKey(
        "datasets.Record",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluations",
        db_constraint=False,
    )
    run_record = models.ForeignKey(
        RunRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="evaluations", db_index=False
    )
    record_index = models.PositiveIntegerField()
    metric_id = models.PositiveIntegerField()
    metric_shortname = models.CharField(max_length=64)
    threshold = models.PositiveSmallIntegerField()
    model_slug = models.CharField(max_length=64, null=True, blank=True)
    metric_args = models.JSONField(null=True, blank=True)
    result = models.FloatField(null=True, blank=True)
    explanation = models.TextField(null=True, blank=True)
    is_success = models.BooleanField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    evaluation_cost = models.DecimalField(max_digits=30, decimal_places=15, null=True, blank=True)
    # What a judged metric judged (items, verdicts, model, tokens, attempts, cache); null for structural metrics.
    eval_metadata = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        # Every read is "a run's evaluations in id order" or "its pending ones in an id range".
        indexes = [
            models.Index(fields=["run", "id"], name="evaluation_run_id_idx"),
            models.Index(
                fields=["run_record"], name="evaluation_run_record_idx", condition=Q(run_record__isnull=False)
            ),
            # Paging a run's failures stays an index range scan however rare they are.
            models.Index(fields=["run", "id"], name="evaluation_failed_idx", condition=Q(is_success=False)),
        ]

    def __str__(self):
        return f"Evaluation {self.pk} of run {self.run_id}"
