"""Run-to-run comparison: which rows are the same row in both runs, and what changed per metric.

Rows are matched by record identity when both runs scored the same dataset version, by content (prompt, input,
context, golden answer; never the output, which is what changes) across versions of one dataset, and by position
for custom runs of the same length. Every count and sum is computed by the database in one pass over the two
runs' evaluations; Python only adds up a few hundred grouped rows and bootstraps the grouped differences.
"""

import logging
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection, transaction

from accounts.models import User
from aegis.errors import BusinessRuleError
from datasets.models import Dataset, Record
from metrics import registry
from runs.compare_stats import CONFIDENCE, RESAMPLES, SEED, paired_interval
from runs.models import Evaluation, Run, RunRecord
from runs.selectors import run_get_visible

CHANGES = ("regressed", "improved", "unchanged", "error", "pending")
SCORED = ("regressed", "improved", "unchanged")
# How rows are paired, as named in the summary's `matching`.
BY_RECORD, BY_CONTENT, BY_POSITION = "record", "content", "position"
CONTENT_FIELDS = ("prompt", "input", "context", "golden_answer")
CACHE_SECONDS = 600
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Comparison:
    base: Run
    head: Run
    matching: str
    # The SQL of each side: rows (k match key, o order key, metric, result, threshold, ok, row ids), and params.
    sides: tuple[str, list] = field(repr=False)


def comparison_for(*, user: User, base_id: int | None, head_id: int) -> Comparison:
    """Both runs must be visible (404 otherwise) and comparable (400 saying why). Without `base`, the head's
    dataset baseline is the base."""
    head = run_get_visible(user=user, run_id=head_id)
    if base_id is None:
        base_id = _baseline_of(head)
    base = run_get_visible(user=user, run_id=base_id)
    matching = _matching(base, head)
    sides = _side_sql(base, matching, as_base=True), _side_sql(head, matching, as_base=False)
    return Comparison(base=base, head=head, matching=matching, sides=sides)


def _baseline_of(head: Run) -> int:
    baseline_id = None
    if head.dataset_id is not None:
        baseline_id = Dataset.objects.filter(pk=head.dataset_id).values_list("baseline_run_id", flat=True).first()
    if baseline_id is None:
        message = "Send base: the head run's dataset has no baseline run (set one with PUT /datasets/{id})."
        raise BusinessRuleError(message, errors={"base": ["required: no baseline to default to"]})
    return baseline_id


def _matching(base: Run, head: Run) -> str:
    for run in (base, head):
        if run.run_type == Run.RunType.DATASET and run.dataset_id is None:
            message = f"Run {run.pk} was on a dataset that has been deleted; its rows cannot be matched."
            raise BusinessRuleError(message, errors={"base" if run is base else "head": ["dataset deleted"]})
    if base.dataset_id is not None and head.dataset_id is not None:
        if base.dataset_id != head.dataset_id:
            message = f"Run {base.pk} and run {head.pk} are on different datasets: compare runs of one dataset."
            raise BusinessRuleError(message, errors={"head": ["on another dataset"]})
        return BY_RECORD if base.dataset_version == head.dataset_version else BY_CONTENT
    if base.dataset_id is not None or head.dataset_id is not None:
        message = "A dataset run can only be compared with a run of the same dataset, not with a custom run."
        raise BusinessRuleError(message, errors={"head": ["not comparable"]})
    base_rows = RunRecord.objects.filter(run_id=base.pk).count()
    head_rows = RunRecord.objects.filter(run_id=head.pk).count()
    if base_rows != head_rows:
        message = (
            f"Custom runs are compared row by row and need the same number of rows: run {base.pk} has "
            f"{base_rows}, run {head.pk} has {head_rows}."
        )
        raise BusinessRuleError(message, errors={"head": ["different row count"]})
    return BY_POSITION


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _side_sql(run: Run, matching: str, *, as_base: bool) -> tuple[str, list]:
    """One run's evaluations as rows keyed for matching. `o` orders pages: the base's record id, or position."""
    evaluations = _q(Evaluation._meta.db_table)
    columns = "e.metric_id AS metric, e.result AS result, e.threshold AS threshold, e.is_success AS ok, "
    columns += "e.record_id AS record_id, e.run_record_id AS run_record_id, e.record_index AS record_index"
    if matching == BY_RECORD:
        return f"SELECT e.record_id AS k, e.record_id AS o, {columns} FROM {evaluations} e WHERE e.run_id = %s", [
            run.pk
        ]
    if matching == BY_POSITION:
        position = "DENSE_RANK() OVER (ORDER BY e.run_record_id) - 1"
        return f"SELECT {position} AS k, {position} AS o, {columns} FROM {evaluations} e WHERE e.run_id = %s", [run.pk]
    # By content: a text key of the four fields (NULL kept apart from ''), and its occurrence among equal rows,
    # so duplicated rows pair one to one in record order instead of multiplying.
    records = _q(Record._meta.db_table)
    if connection.vendor == "postgresql":
        content = "md5(json_build_array(" + ", ".join(f"r.{_q(name)}" for name in CONTENT_FIELDS) + ")::text)"
    else:
        content = "json_array(" + ", ".join(f"r.{_q(name)}" for name in CONTENT_FIELDS) + ")"
    occurrence = f"DENSE_RANK() OVER (PARTITION BY {content} ORDER BY e.record_id)"
    key = f"{content} || ':' || CAST({occurrence} AS TEXT)"
    sql = (
        f"SELECT {key} AS k, e.record_id AS o, {columns} FROM {evaluations} e "
        f"JOIN {records} r ON r.id = e.record_id WHERE e.run_id = %s"
    )
    return sql, [run.pk]


def pair_sql(comparison: Comparison) -> tuple[str, list]:
    (base_sql, base_params), (head_sql, head_params) = comparison.sides
    return f"WITH b AS ({base_sql}), h AS ({head_sql}) ", [*base_params, *head_params]


PAIRS = "FROM b JOIN h ON h.k = b.k AND h.metric = b.metric"
CHANGE = (
    "CASE WHEN (NOT b.ok) OR (NOT h.ok) THEN 'error' "
    "WHEN b.ok IS NULL OR h.ok IS NULL THEN 'pending' "
    "WHEN (b.result >= b.threshold) AND NOT (h.result >= h.threshold) THEN 'regressed' "
    "WHEN NOT (b.result >= b.threshold) AND (h.result >= h.threshold) THEN 'improved' "
    "ELSE 'unchanged' END"
)


def fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# The summary.


def comparison_summary(comparison: Comparison) -> dict:
    """Kept in the cache while neither run changes: paging the records of a pair reads its counts from here."""
    return cached(comparison, "summary", lambda: _summary(comparison))


def _summary(comparison: Comparison) -> dict:
    head_sql, params = pair_sql(comparison)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The pairs of two 100,000-record runs fit in memory: a hash join that spills to disk takes twice as long.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        # One pass over the pairs, read twice: grouped by metric for the summary, and by record for the counts of
        # records with a change in any metric (the totals of the records pages filtered by `change` alone).
        materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
        cursor.execute(
            head_sql + f", p AS {materialized}(SELECT b.o AS o, b.metric AS metric, {CHANGE} AS c, "
            "ROUND((h.result - b.result) * 10) AS t, b.result AS br, h.result AS hr, "
            "CASE WHEN b.result >= b.threshold THEN 1 ELSE 0 END AS bp, "
            f"CASE WHEN h.result >= h.threshold THEN 1 ELSE 0 END AS hp {PAIRS}) "
            "SELECT metric, c, t, COUNT(*), SUM(br), SUM(hr), SUM(bp), SUM(hp) FROM p GROUP BY 1, 2, 3 "
            # Grouped rather than COUNT(DISTINCT), which PostgreSQL can only sort for: a hash is faster here.
            "UNION ALL SELECT NULL, c, NULL, COUNT(*), NULL, NULL, NULL, NULL "
            "FROM (SELECT o, c FROM p GROUP BY o, c) r GROUP BY c",
            params,
        )
        rows = cursor.fetchall()
    grouped = [row for row in rows if row[0] is not None]
    with_change = dict.fromkeys(CHANGES, 0) | {row[1]: row[3] for row in rows if row[0] is None}
    base_records, base_metrics = _side_facts(comparison.base)
    head_records, head_metrics = _side_facts(comparison.head)
    matched = _matched_records(comparison, base_records)
    return {
        "base": _run_ref(comparison.base),
        "head": _run_ref(comparison.head),
        "matching": comparison.matching,
        "records": {
            "base": base_records,
            "head": head_records,
            "matched": matched,
            "only_in_base": base_records - matched,
            "only_in_head": head_records - matched,
            "with_change": with_change,
        },
        "metrics": sorted(
            (_metric_summary(metric_shortname(metric), rows) for metric, rows in _by_metric(grouped).items()),
            key=lambda summary: summary["metric"],
        ),
        "metrics_only_in_base": sorted(map(metric_shortname, base_metrics - head_metrics)),
        "metrics_only_in_head": sorted(map(metric_shortname, head_metrics - base_metrics)),
        "interval": {
            "method": "paired bootstrap, percentile",
            "confidence": CONFIDENCE,
            "resamples": RESAMPLES,
            "seed": SEED,
        },
    }


def metric_shortname(metric_id: int) -> str:
    spec = registry.get(metric_id)
    return spec.shortname if spec else str(metric_id)


def row_count(run: Run) -> int:
    """A dataset run scores every record with every metric: its rows are evaluation_count / metric_count."""
    if run.run_type == Run.RunType.DATASET:
        return run.evaluation_count // run.metric_count if run.metric_count else 0
    return RunRecord.objects.filter(run_id=run.pk).count()


def _side_facts(run: Run) -> tuple[int, set[int]]:
    """A run's rows and metric ids, without reading all its evaluations: a dataset run's evaluations are in record
    order, so its metrics are those of its first metric_count evaluations."""
    evaluations = Evaluation.objects.filter(run_id=run.pk)
    if run.run_type == Run.RunType.DATASET:
        # Ordered as the (run, id) index is: ordered by id alone, the planner may walk the primary key instead.
        first = evaluations.order_by("run_id", "id").values_list("metric_id", flat=True)[: run.metric_count]
        return row_count(run), set(first)
    return row_count(run), set(evaluations.values_list("metric_id", flat=True).distinct().order_by())


def _matched_records(comparison: Comparison, base_records: int) -> int:
    """The same version's records, or custom runs' rows by position, are all on both sides; contents are counted."""
    if comparison.matching in (BY_RECORD, BY_POSITION):
        return base_records
    head_sql, params = pair_sql(comparison)
    [(matched,)] = fetch(
        head_sql + "SELECT COUNT(*) FROM (SELECT DISTINCT k FROM b) bk JOIN (SELECT DISTINCT k FROM h) hk "
        "ON bk.k = hk.k",
        params,
    )
    return matched


def _fingerprint(run: Run) -> str:
    moments = (run.finished_at, run.cancelled_at)
    stamps = ":".join("-" if moment is None else moment.isoformat() for moment in moments)
    return f"{run.pk}:{run.evaluation_count}:{run.done_count}:{run.failed_count}:{stamps}"


def cached(comparison: Comparison, name: str, compute):
    """A result about two runs, kept until either changes: any finished evaluation moves done_count or failed_count,
    a retry ends with a new finished_at. The cache being down only costs the computation."""
    key = f"compare:{_fingerprint(comparison.base)}:{_fingerprint(comparison.head)}:{name}"
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - an unreachable cache is a miss
        logger.warning("comparison cache unreachable", exc_info=True)
        value = None
    if value is None:
        value = compute()
        try:
            cache.set(key, value, CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            logger.warning("comparison cache unreachable", exc_info=True)
    return value


def _run_ref(run: Run) -> dict:
    return {
        "id": run.pk,
        "alias": run.alias,
        "dataset_id": run.dataset_id,
        "dataset_version": run.dataset_version,
        "status": run.status,
    }


def _by_metric(grouped: list[tuple]) -> dict[str, list[tuple]]:
    rows: dict[str, list[tuple]] = {}
    for metric, *rest in grouped:
        rows.setdefault(metric, []).append(tuple(rest))
    return rows


def _metric_summary(metric: str, rows: list[tuple]) -> dict:
    counts = dict.fromkeys(CHANGES, 0)
    scored = base_sum = head_sum = base_passed = head_passed = 0
    groups = []
    for change, _tenths, pairs, base_total, head_total, base_pass, head_pass in rows:
        counts[change] += pairs
        if change in SCORED:
            scored += pairs
            base_sum += base_total
            head_sum += head_total
            base_passed += base_pass
            head_passed += head_pass
            groups.append((pairs, head_total - base_total))
    base_mean = base_sum / scored if scored else None
    head_mean = head_sum / scored if scored else None
    base_rate = base_passed / scored if scored else None
    head_rate = head_passed / scored if scored else None
    interval = paired_interval(groups)
    return {
        "metric": metric,
        "pairs": sum(counts.values()),
        "scored_pairs": scored,
        "base_mean": base_mean,
        "head_mean": head_mean,
        "mean_delta": None if base_mean is None else head_mean - base_mean,
        "mean_delta_interval": None if interval is None else [interval.low, interval.high],
        "significant": None if interval is None else interval.excludes_zero,
        "base_pass_rate": base_rate,
        "head_pass_rate": head_rate,
        "pass_rate_delta": None if base_rate is None else head_rate - base_rate,
        "regressions": counts["regressed"],
        "improvements": counts["improved"],
        "unchanged": counts["unchanged"],
        "errors": counts["error"],
        "pending": counts["pending"],
    }
