"""The per-record rows of a comparison: the pages of GET /runs/compare/records, their totals, and the whole diff.

A page is a keyset walk in the base run's order, bounded on both sides where both are keyed by record id, so any
page costs the same, and an offset page of one dataset version seeks its first record instead of counting up to
it. Totals come from the runs' stored counts or from the comparison summary; only those across versions without
`change` are counted, once, and kept.
"""

from collections.abc import Iterator

from django.db.models import F
from django.db.models.functions import Left

from datasets.models import Record
from metrics import registry
from runs.compare import (
    BY_CONTENT,
    BY_RECORD,
    CHANGE,
    PAIRS,
    Comparison,
    cached,
    comparison_summary,
    fetch,
    metric_shortname,
    pair_sql,
    row_count,
)
from runs.models import RECORD_FIELDS, Evaluation, Run, RunRecord
from runs.representation import is_gte
from runs.selectors import RECORD_PREVIEW_CHARS

CSV_CHUNK = 2000
CHANGE_COUNTS = {
    "regressed": "regressions",
    "improved": "improvements",
    "unchanged": "unchanged",
    "error": "errors",
    "pending": "pending",
}


def _metric_id(shortname: str) -> int:
    spec = registry.by_shortname(shortname)
    return spec.id if spec else 0  # no metric has id 0: an unknown name matches nothing


def _filters(comparison: Comparison, *, after: int | None, metric: str | None, change: str | None) -> tuple[str, list]:
    """The WHERE of a records query. Bounds hold on both sides where they can (the metric always; the cursor when
    both sides are keyed by record id), so the database walks both runs' records from the cursor in step."""
    clauses, params = [], []
    if after is not None:
        clauses.append("b.o > %s")
        params.append(after)
        if comparison.matching == BY_RECORD:
            clauses.append("h.o > %s")
            params.append(after)
    if metric is not None:
        clauses.append("b.metric = %s AND h.metric = %s")
        params += [_metric_id(metric)] * 2
    if change is not None:
        clauses.append(f"{CHANGE} = %s")
        params.append(change)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def record_count(comparison: Comparison, *, metric: str | None, change: str | None) -> int:
    """Matched records with a pair that passes the filters. Without `change`, from the stored counts (but across
    versions; counted once and kept there); with `change`, from the summary."""
    if change is None and comparison.matching != BY_CONTENT:
        rows = row_count(comparison.base)
        if metric is None:
            return rows
        if comparison.matching == BY_RECORD:
            # Every record of a dataset run has every metric of it: one pair of this metric means all of them.
            return rows if record_page(comparison, after=None, offset=0, limit=1, metric=metric, change=None) else 0
    if change is not None:
        summary = comparison_summary(comparison)
        if metric is None:
            return summary["records"]["with_change"][change]
        counts = {item["metric"]: item for item in summary["metrics"]}
        return counts[metric][CHANGE_COUNTS[change]] if metric in counts else 0
    return cached(comparison, f"count:{metric}:{change}", lambda: _count(comparison, metric=metric, change=change))


def _count(comparison: Comparison, *, metric: str | None, change: str | None) -> int:
    head_sql, params = pair_sql(comparison)
    where, where_params = _filters(comparison, after=None, metric=metric, change=change)
    [(total,)] = fetch(head_sql + f"SELECT COUNT(DISTINCT b.o) {PAIRS}{where}", [*params, *where_params])
    return total


def record_page(
    comparison: Comparison,
    *,
    after: int | None,
    offset: int,
    limit: int,
    metric: str | None,
    change: str | None,
    preview: int | None = RECORD_PREVIEW_CHARS,
) -> list[dict]:
    """Up to `limit` matched records in base order, after the cursor `after` (a previous item's `cursor`)."""
    if offset and after is None and change is None and comparison.matching == BY_RECORD:
        # Every record is in both runs: the page starts after the base run's record just before `offset`. Past the
        # end (or with records detached from the run), the query below answers as it would have.
        before = _record_before(comparison.base, offset)
        if before is not None:
            after, offset = before, 0
    head_sql, params = pair_sql(comparison)
    where, where_params = _filters(comparison, after=after, metric=metric, change=change)
    keys = fetch(
        head_sql + f"SELECT DISTINCT b.o {PAIRS}{where} ORDER BY b.o LIMIT %s OFFSET %s",
        [*params, *where_params, limit, offset],
    )
    if not keys:
        return []
    keys = [key for (key,) in keys]
    metric_clause, metric_params = (" AND b.metric = %s", [_metric_id(metric)]) if metric is not None else ("", [])
    if comparison.matching == BY_RECORD:
        # The page's span on both sides too: the database reads both runs' rows of just these records, in step.
        metric_clause += " AND b.o BETWEEN %s AND %s AND h.o BETWEEN %s AND %s"
        metric_params += [keys[0], keys[-1]] * 2
    rows = fetch(
        head_sql + "SELECT b.o, b.metric, b.result, b.threshold, b.ok, h.result, h.threshold, h.ok, "
        f"b.record_id, b.run_record_id, b.record_index, h.record_id, h.run_record_id, h.record_index, {CHANGE} "
        f"{PAIRS} WHERE b.o IN ({', '.join(['%s'] * len(keys))}){metric_clause} ORDER BY b.o, b.metric",
        [*params, *keys, *metric_params],
    )
    texts = _row_texts(rows, preview=preview)
    items: dict[int, dict] = {}
    for row in rows:
        (key, name, b_result, b_threshold, b_ok, h_result, h_threshold, h_ok) = row[:8]
        (b_record, b_run_record, b_index, h_record, h_run_record, h_index, change_name) = row[8:]
        item = items.get(key)
        if item is None:
            item = items[key] = {
                "cursor": key,
                "base_record": _record_ref(texts, b_record, b_run_record, b_index),
                "head_record": _record_ref(texts, h_record, h_run_record, h_index),
                "metrics": {},
            }
        item["metrics"][metric_shortname(name)] = {
            "change": change_name,
            "base": _side_result(b_result, b_threshold, b_ok),
            "head": _side_result(h_result, h_threshold, h_ok),
        }
    return [items[key] for key in keys if key in items]


def _record_before(run: Run, offset: int) -> int | None:
    """The id of a dataset run's record number `offset - 1` in record order (None past its end). The run's
    evaluations were written record by record in record order, metric_count each, so that record's last
    evaluation is the run's evaluation number offset * metric_count - 1: an index-only walk of (run, id)."""
    position = offset * run.metric_count - 1
    nth = Evaluation.objects.filter(run_id=run.pk).order_by("run_id", "id").values("id")[position : position + 1]
    return Evaluation.objects.filter(pk__in=nth).values_list("record_id", flat=True).first()


def _side_result(result, threshold, ok) -> dict:
    return {
        "result": result,
        "threshold": threshold,
        "is_success": None if ok is None else bool(ok),
        "is_gte_threshold": is_gte(result, threshold),
    }


def _row_texts(rows: list[tuple], *, preview: int | None) -> dict[tuple[str, int], dict]:
    """The record text of every row on the page, in two queries (dataset records, custom rows)."""
    record_ids = {row[i] for row in rows for i in (8, 11) if row[i] is not None}
    run_record_ids = {row[i] for row in rows for i in (9, 12) if row[i] is not None}
    texts: dict[tuple[str, int], dict] = {}
    for kind, model, ids in (("record", Record, record_ids), ("run_record", RunRecord, run_record_ids)):
        if not ids:
            continue
        fields = {name: Left(F(name), preview) if preview else F(name) for name in RECORD_FIELDS}
        for values in (
            model.objects.filter(pk__in=ids).values("pk").annotate(**{f"t_{k}": v for k, v in fields.items()})
        ):
            texts[(kind, values["pk"])] = {name: values[f"t_{name}"] for name in RECORD_FIELDS}
    return texts


def _record_ref(texts: dict, record_id: int | None, run_record_id: int | None, record_index: int) -> dict:
    fields = texts.get(("record", record_id) if record_id is not None else ("run_record", run_record_id))
    return {
        "id": record_id if record_id is not None else run_record_id,
        "record_index": record_index,
        **(fields or dict.fromkeys(RECORD_FIELDS)),
    }


def all_record_rows(comparison: Comparison, *, metric: str | None, change: str | None) -> Iterator[dict]:
    """Every matched record, full text, chunk by chunk on the cursor: memory stays flat at any size."""
    after = None
    while True:
        page = record_page(
            comparison, after=after, offset=0, limit=CSV_CHUNK, metric=metric, change=change, preview=None
        )
        yield from page
        if len(page) < CSV_CHUNK:
            return
        after = page[-1]["cursor"]
