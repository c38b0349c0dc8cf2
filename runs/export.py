"""GET /runs/{id}/download: one CSV row per evaluation, with only the columns that hold a value somewhere."""

import csv
from collections.abc import Iterator

import orjson

from metrics import registry
from runs.models import RECORD_FIELDS, Run
from runs.representation import cost_text, is_gte
from runs.selectors import run_evaluation_rows

COLUMNS = (
    "alias",
    *RECORD_FIELDS,
    "explanation",
    "model_slug",
    "is_success",
    "evaluation_cost_raw",
    "evaluation_cost",
    "is_gte_threshold",
    "threshold",
    "result",
    "metric_id",
    "eval_metadata",
    "shortname",
    "name",
)


class _Echo:
    def write(self, value):
        return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def _csv_row(run: Run, row: dict) -> dict:
    spec = registry.get(row["metric_id"])
    return {
        "alias": run.alias,
        **{name: row[f"row_{name}"] for name in RECORD_FIELDS},
        "explanation": row["explanation"],
        "model_slug": row["model_slug"],
        "is_success": row["is_success"],
        "evaluation_cost_raw": None if row["evaluation_cost"] is None else format(row["evaluation_cost"], "f"),
        "evaluation_cost": cost_text(row["evaluation_cost"]),
        "is_gte_threshold": is_gte(row["result"], row["threshold"]),
        "threshold": row["threshold"],
        "result": row["result"],
        "metric_id": row["metric_id"],
        "eval_metadata": row["eval_metadata"],
        "shortname": row["metric_shortname"],
        "name": spec.name if spec else None,
    }


def present_columns(run: Run) -> list[str]:
    """The columns with at least one non-empty value, in the spec's order; empty when the run has no rows."""
    seen: set[str] = set()
    for row in run_evaluation_rows(run.pk):
        seen.update(name for name, value in _csv_row(run, row).items() if _text(value) != "")
    return [name for name in COLUMNS if name in seen]


def stream_csv(run: Run, columns: list[str]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(columns)
    for row in run_evaluation_rows(run.pk):
        values = _csv_row(run, row)
        yield writer.writerow([_text(values[name]) for name in columns])
