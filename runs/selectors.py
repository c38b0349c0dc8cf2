"""Run reads. Visibility is always Run.objects.visible_to(user); large runs are read in id-ordered chunks."""

from collections.abc import Iterator
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce, Left

from accounts.models import User
from aegis.errors import NotFound
from metrics.models import LlmModel
from metrics.registry import RECORD_FIELDS
from runs.models import Evaluation, Run
from runs.representation import evaluation_item, run_summary

EVALUATION_CHUNK = 2000
RECORD_PREVIEW_CHARS = 100

# Evaluation rows as values(): one dict per evaluation, its record's fields as row_<field>.
EvaluationRows = QuerySet[Evaluation, dict[str, Any]]


def run_get_visible(*, user: User, run_id: int) -> Run:
    run: Run | None = (
        Run.objects.visible_to(user).select_related("user", "dataset", "data_collection").filter(pk=run_id).first()
    )
    if run is None:
        raise NotFound(f"Run {run_id} not found.")
    return run


def run_list(
    *,
    user: User,
    dataset_id: int | None = None,
    data_collection_id: int | None = None,
    run_type: str | None = None,
    status: str | None = None,
    shared: bool | None = None,
    search: str | None = None,
) -> QuerySet[Run]:
    """The caller's visible runs, newest first, with the filters of GET /runs."""
    queryset = Run.objects.shared_filter(user, shared).select_related("user", "dataset", "data_collection")
    if dataset_id is not None:
        queryset = queryset.filter(dataset_id=dataset_id)
    if data_collection_id is not None:
        queryset = queryset.filter(data_collection_id=data_collection_id)
    if run_type is not None:
        queryset = queryset.filter(run_type=run_type)
    if status is not None:
        queryset = queryset.filter(Run.status_filter(status))
    if search:
        queryset = queryset.filter(alias__icontains=search)
    return queryset.order_by("-started_at", "-id")


def evaluation_page_rows(
    run: Run,
    *,
    after_id: int = 0,
    metric: str | None = None,
    is_success: bool | None = None,
    is_gte_threshold: bool | None = None,
    record_index_min: int | None = None,
    record_index_max: int | None = None,
) -> tuple[EvaluationRows, int | None]:
    """The run's evaluation rows filtered for GET /runs/{id}/evaluations, in id order, and the total of
    the filtered set (before any cursor) when the stored progress knows it (no filter, or only is_success); None
    means it must be counted."""
    queryset = Evaluation.objects.filter(run_id=run.pk, id__gt=after_id)
    if metric is not None:
        queryset = queryset.filter(metric_shortname=metric)
    if is_success is not None:
        queryset = queryset.filter(is_success=is_success)
    if is_gte_threshold is not None:
        passed = Q(result__gte=F("threshold"))
        queryset = queryset.filter(passed if is_gte_threshold else Q(result__isnull=False) & ~passed)
    if record_index_min is not None:
        queryset = queryset.filter(record_index__gte=record_index_min)
    if record_index_max is not None:
        queryset = queryset.filter(record_index__lte=record_index_max)
    only_success_filter = metric is None and is_gte_threshold is None
    only_success_filter = only_success_filter and record_index_min is None and record_index_max is None
    known = None
    if only_success_filter:
        known = {
            None: run.evaluation_count,
            True: run.done_count - run.failed_count,
            False: run.failed_count,
        }[is_success]
    rows = _evaluation_rows(queryset, preview=RECORD_PREVIEW_CHARS).order_by("id")
    return rows, known


def model_list() -> QuerySet[LlmModel]:
    return LlmModel.objects.order_by("id")


def _evaluation_rows(queryset: QuerySet[Evaluation], *, preview: int | None) -> EvaluationRows:
    def field(name: str) -> Coalesce | Left:
        value = Coalesce(F(f"record__{name}"), F(f"run_record__{name}"))
        return Left(value, preview) if preview else value

    rows: EvaluationRows = queryset.annotate(
        row_id=Coalesce(F("record_id"), F("run_record_id")), **{f"row_{name}": field(name) for name in RECORD_FIELDS}
    ).values(
        "id",
        "run_id",
        "record_index",
        "metric_id",
        "metric_shortname",
        "row_id",
        *(f"row_{name}" for name in RECORD_FIELDS),
        "result",
        "threshold",
        "explanation",
        "model_slug",
        "metric_args",
        "started_at",
        "finished_at",
        "evaluation_cost",
        "is_success",
        "eval_metadata",
    )
    return rows


def chunked(queryset: EvaluationRows, size: int = EVALUATION_CHUNK) -> Iterator[dict[str, Any]]:
    """Keyset pagination by id: memory stays flat however many rows there are."""
    after = 0
    while True:
        rows = list(queryset.filter(id__gt=after).order_by("id")[:size])
        yield from rows
        if len(rows) < size:
            return
        after = rows[-1]["id"]


def run_evaluations(run_id: int) -> Iterator[dict[str, Any]]:
    rows = _evaluation_rows(Evaluation.objects.filter(run_id=run_id), preview=RECORD_PREVIEW_CHARS)
    return (evaluation_item(row) for row in chunked(rows))


def run_evaluation_rows(run_id: int) -> Iterator[dict[str, Any]]:
    """Full (untruncated) rows for the CSV export."""
    return chunked(_evaluation_rows(Evaluation.objects.filter(run_id=run_id), preview=None))


# For GET /datasets/{id}: the runs and evaluations on a dataset that the caller can see.


def _visible_dataset_runs(user: User, dataset_id: int) -> QuerySet[Run]:
    return Run.objects.visible_to(user).filter(dataset_id=dataset_id)


def dataset_run_summaries(user: User, dataset_id: int, baseline_run_id: int | None = None) -> list[dict[str, Any]]:
    """With the dataset's baseline run, each summary also carries its mean delta per metric against it."""
    runs = list(_visible_dataset_runs(user, dataset_id).select_related("user").order_by("-started_at", "-id"))
    if baseline_run_id is None:
        return [run_summary(run) for run in runs]
    baseline = next((run for run in runs if run.pk == baseline_run_id), None)
    if baseline is None:  # a baseline the caller cannot see still measures the runs they can
        baseline = Run.objects.filter(pk=baseline_run_id).only("id", "aggregate_results").first()
    if baseline is None:
        return [run_summary(run) for run in runs]
    return [{**run_summary(run), "baseline_mean_delta": baseline_mean_delta(run, baseline)} for run in runs]


def baseline_mean_delta(run: Run, baseline: Run) -> dict[str, Any]:
    """The difference of the stored per-metric means, for the metrics both runs have; the paired delta, with its
    interval, is GET /runs/compare."""
    mine, theirs = run.aggregate_results or {}, baseline.aggregate_results or {}
    deltas = {name: mine[name] - theirs[name] for name in sorted(mine.keys() & theirs.keys())}
    return {"baseline_run_id": baseline.pk, "metrics": deltas}


def dataset_evaluations(user: User, dataset_id: int) -> Iterator[dict[str, Any]]:
    run_ids = _visible_dataset_runs(user, dataset_id).values("id")
    rows = _evaluation_rows(Evaluation.objects.filter(run_id__in=run_ids), preview=RECORD_PREVIEW_CHARS)
    return (evaluation_item(row) for row in chunked(rows))
