"""The scoring engine: writes evaluations in bulk, scores them, and finishes runs.

A blocking run scores each structural row while its evaluations are written, so those are written once, already
finished. Everything else is written pending and scored by id slices that write their scores back in bulk:
background tasks for non-blocking runs, the request itself for blocking ones. Judged evaluations are always
scored that way, after the creating transaction has committed, because no judge call happens inside one.
Scoring a slice only touches evaluations that are still pending, so running a task twice changes nothing.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import NamedTuple

import orjson
from django.db import connection, transaction
from django.db.models import Avg, F, Sum
from django.utils import timezone

from metrics import bounded
from metrics.registry import MetricSpec
from runs.judging import PendingJudgement, judge_pending
from runs.models import RECORD_FIELDS, Evaluation, Run

STRUCTURAL_COST = Decimal("0")  # no LLM is called
WRITE_BATCH_ROWS = 500  # SQLite: 15 columns x 500 rows stays under its bound-variable limit
UPDATE_BATCH_ROWS = 1000
PENDING = (None, None, None, None, None, None)  # result .. evaluation_cost, eval_metadata
COLUMNS = (
    # Per metric plan (the same for every row), then per row, then per score: see write_evaluations.
    "run_id",
    "metric_id",
    "metric_shortname",
    "threshold",
    "model_slug",
    "metric_args",
    "started_at",
    "record_id",
    "run_record_id",
    "record_index",
    "result",
    "explanation",
    "is_success",
    "finished_at",
    "evaluation_cost",
    "eval_metadata",
)


@dataclass(frozen=True)
class MetricPlan:
    """One metric as a run applies it: effective threshold, model and arguments."""

    spec: MetricSpec
    threshold: int
    model_slug: str | None
    args: dict
    args_json: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "args_json", orjson.dumps(self.args).decode())


class Row(NamedTuple):
    fields: dict
    record_index: int
    record_id: int | None = None
    run_record_id: int | None = None


def score_one(spec: MetricSpec, fields: dict, args: dict) -> tuple[float | None, str, bool]:
    """(result, explanation, is_success). A row the metric cannot score is a failed evaluation, never an error;
    one that overruns the time or memory limit of an evaluation (metrics.bounded) is one too."""
    return bounded.score(spec, fields, args)


def write_evaluations(*, run: Run, rows: Iterable[tuple[Row, Sequence[MetricPlan]]], score: bool) -> int:
    """Write one evaluation per (row, plan); structural ones scored and finished when `score`, the rest pending."""
    started_at = _db_datetime(run.started_at)
    cost = _db_decimal(STRUCTURAL_COST)

    tally = {"done": 0, "failed": 0}

    def evaluation_rows() -> Iterator[tuple]:
        prefixes: dict[int, tuple] = {}
        batch = list(rows)
        # The structural scores of the whole batch stream back in order from the bounded evaluators.
        outcomes = bounded.iter_scores(
            (plan.spec, row.fields, plan.args)
            for row, plans in batch
            for plan in plans
            if score and not plan.spec.is_judged
        )
        for row, plans in batch:
            row_part = (row.record_id, row.run_record_id, row.record_index)
            finished_at = _db_datetime(timezone.now()) if score else None
            for plan in plans:
                prefix = prefixes.get(id(plan))
                if prefix is None:
                    prefix = prefixes[id(plan)] = (
                        run.pk,
                        plan.spec.id,
                        plan.spec.shortname,
                        plan.threshold,
                        plan.model_slug,
                        plan.args_json,
                        started_at,
                    )
                if score and not plan.spec.is_judged:
                    result, explanation, is_success = next(outcomes)
                    tally["done"] += 1
                    tally["failed"] += not is_success
                    yield prefix + row_part + (result, explanation, is_success, finished_at, cost, None)
                else:
                    yield prefix + row_part + PENDING

    writer = _copy if connection.vendor == "postgresql" else _insert
    written = writer(evaluation_rows())
    Run.objects.filter(pk=run.pk).update(
        evaluation_count=F("evaluation_count") + written,
        done_count=F("done_count") + tally["done"],
        failed_count=F("failed_count") + tally["failed"],
    )
    return written


def _copy(rows: Iterator[tuple]) -> int:
    table = connection.ops.quote_name(Evaluation._meta.db_table)
    written = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def _insert(rows: Iterator[tuple]) -> int:
    table = connection.ops.quote_name(Evaluation._meta.db_table)
    one_row = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    written = 0
    with connection.cursor() as cursor:
        while batch := list(islice(rows, WRITE_BATCH_ROWS)):
            params = [value for row in batch for value in row]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES {', '.join([one_row] * len(batch))}", params
            )
            written += len(batch)
    return written


def _db_datetime(value):
    return connection.ops.adapt_datetimefield_value(value)


def _db_decimal(value: Decimal):
    return connection.ops.adapt_decimalfield_value(value, 30, 15)


# Scoring pending evaluations by id slice.


def pending_evaluations(run_id: int, first_id: int, last_id: int):
    """The still-pending evaluations of one id slice, with their row's fields (from a Record or a RunRecord)."""
    fields = [f"record__{name}" for name in RECORD_FIELDS] + [f"run_record__{name}" for name in RECORD_FIELDS]
    return (
        Evaluation.objects.filter(
            run_id=run_id, id__gte=first_id, id__lte=last_id, result__isnull=True, is_success__isnull=True
        )
        .order_by("id")
        .values_list("id", "run_record_id", "metric_id", "metric_args", "model_slug", *fields)
    )


def score_slice(*, run_id: int, first_id: int, last_id: int, specs: dict[int, MetricSpec]) -> int:
    """Score the pending evaluations of one id slice and write the scores back; returns how many were scored.

    Structural scores are written in one transaction; judged ones as the judge answers, in small transactions,
    with no transaction open while a judge is called.
    """
    to_score, judged = [], []
    width = len(RECORD_FIELDS)
    for eval_id, run_record_id, metric_id, metric_args, model_slug, *values in pending_evaluations(
        run_id, first_id, last_id
    ):
        own = values[width:] if run_record_id is not None else values[:width]
        fields = dict(zip(RECORD_FIELDS, own, strict=True))
        spec = specs[metric_id]
        if spec.is_judged:
            judged.append(PendingJudgement(eval_id, spec, fields, metric_args or {}, model_slug))
        else:
            to_score.append((eval_id, spec, fields, metric_args or {}))
    outcomes = bounded.iter_scores((spec, fields, args) for _, spec, fields, args in to_score)
    structural = [(item[0], *outcome, STRUCTURAL_COST, None) for item, outcome in zip(to_score, outcomes, strict=True)]
    write_scores(run_id, structural)
    if judged:
        judge_pending(run_id, judged)
    return len(structural) + len(judged)


def write_scores(run_id: int, scored: Sequence[tuple]) -> None:
    """(id, result, explanation, is_success, cost, metadata) rows and the run's progress, in one transaction."""
    if not scored:
        return
    finished_at = _db_datetime(timezone.now())
    done = failed = 0
    with transaction.atomic():
        for start in range(0, len(scored), UPDATE_BATCH_ROWS):
            written = _write_scores(scored[start : start + UPDATE_BATCH_ROWS], finished_at)
            done += len(written)
            failed += written.count(False)
        Run.objects.filter(pk=run_id).update(done_count=F("done_count") + done, failed_count=F("failed_count") + failed)


def _write_scores(batch: Sequence[tuple], finished_at) -> list[bool]:
    """One UPDATE ... FROM (VALUES ...) per batch; only rows still pending are written (a rerun is a no-op).

    Returns is_success of each row actually written, so progress counts only what this call finished. The cost
    adds to what earlier attempts of the evaluation (before a retry) already cost.
    """
    table = connection.ops.quote_name(Evaluation._meta.db_table)
    json_type = "jsonb" if connection.vendor == "postgresql" else "text"
    one_row = (
        "(CAST(%s AS bigint), CAST(%s AS double precision), CAST(%s AS text), CAST(%s AS boolean), "
        f"CAST(%s AS numeric), CAST(%s AS {json_type}))"
    )
    params = []
    for eval_id, result, explanation, is_success, cost, metadata in batch:
        metadata_json = None if metadata is None else orjson.dumps(metadata).decode()
        params += [eval_id, result, explanation, is_success, _db_decimal(cost), metadata_json]
    sql = (
        f"WITH scores (id, result, explanation, is_success, cost, metadata) AS "
        f"(VALUES {', '.join([one_row] * len(batch))}) "
        f"UPDATE {table} SET result = scores.result, explanation = scores.explanation, "
        f"is_success = scores.is_success, eval_metadata = scores.metadata, finished_at = %s, "
        f"evaluation_cost = COALESCE({table}.evaluation_cost, 0) + scores.cost "
        f"FROM scores WHERE {table}.id = scores.id AND {table}.is_success IS NULL "
        f"RETURNING {table}.is_success"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, finished_at])
        return [bool(row[0]) for row in cursor.fetchall()]


# Finishing a run.


def finish_run_if_complete(run_id: int) -> bool:
    """Set finished_at and the aggregates once every evaluation is done. Only the first caller wins."""
    if Evaluation.objects.filter(run_id=run_id, is_success__isnull=True).exists():
        return False
    with transaction.atomic():
        claimed = Run.objects.filter(pk=run_id, finished_at__isnull=True).update(finished_at=timezone.now())
        if claimed:
            _store_aggregates(run_id)
    return bool(claimed)


def _store_aggregates(run_id: int) -> None:
    run = Run.objects.get(pk=run_id)
    evaluations = Evaluation.objects.filter(run_id=run_id)
    aggregates = {
        row["metric_shortname"]: row["mean"]
        for row in evaluations.filter(is_success=True)
        .values("metric_shortname")
        .annotate(mean=Avg("result"))
        .order_by("metric_shortname")
    }
    totals = evaluations.aggregate(cost=Sum("evaluation_cost"), mean_threshold=Avg("threshold"))
    run.aggregate_results = aggregates or None
    run.result = sum(aggregates.values()) / len(aggregates) if aggregates else None
    run.total_cost = totals["cost"] or Decimal("0")
    threshold = run.threshold if run.threshold is not None else totals["mean_threshold"]
    run.is_gte_threshold = None if run.result is None or threshold is None else run.result >= threshold
    run.save(update_fields=["aggregate_results", "result", "total_cost", "is_gte_threshold"])
