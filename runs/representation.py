"""The runs' response shapes (RunOut, RunSummaryOut, EvaluationOut, EvaluateOut...), each built in one place.

Values stay Python (datetimes, None); aegis.jsonstream renders them. `runs/serializers.py` describes the same
shapes for the OpenAPI document, and runs/tests/test_representation_schema.py holds each builder against it.
"""

from decimal import Decimal

from runs.models import RECORD_FIELDS, Evaluation, Run


def cost_text(value: Decimal | None) -> str | None:
    """A cost as a short decimal string: "0", "0.0004"."""
    return None if value is None else format(value.normalize(), "f")


def is_gte(result: float | None, threshold: float | None) -> bool | None:
    return None if result is None or threshold is None else result >= threshold


def run_object(run: Run) -> dict:
    """The run of spec 6.1 without its evaluations (they are streamed after it)."""
    return {
        "id": run.pk,
        "user": run.user.email if run.user_id else None,
        "author_email": run.author_email,
        "run_type": run.get_run_type_display(),
        "run_source": run.get_run_source_display(),
        "dataset": run.dataset.name if run.dataset_id else None,
        "dataset_version": run.dataset_version,
        "data_collection": run.data_collection.name if run.data_collection_id else None,
        "org_id": run.org_id,
        "number_of_metrics": run.metric_count,
        "result": run.result,
        "threshold": run.threshold,
        "model_slug": run.model_slug,
        "alias": run.alias,
        "aggregate_results": run.aggregate_results,
        "total_cost": f"{run.total_cost:.15f}",
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "is_gte_threshold": run.is_gte_threshold,
        **run_progress(run),
    }


def run_progress(run: Run) -> dict:
    """Stored counts: polling a run for progress never counts its evaluations."""
    return {
        "status": run.status,
        "progress": {"total": run.evaluation_count, "done": run.done_count, "failed": run.failed_count},
    }


def run_summary(run: Run) -> dict:
    """The short form used where runs are nested (collections, datasets)."""
    return {
        "id": run.pk,
        "user": run.user.email if run.user_id else None,
        "author_email": run.author_email,
        "alias": run.alias,
        "run_type": run.get_run_type_display(),
        "dataset_id": run.dataset_id,
        "dataset_version": run.dataset_version,
        "data_collection_id": run.data_collection_id,
        "org_id": run.org_id,
        "result": run.result,
        "threshold": run.threshold,
        "model_slug": run.model_slug,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        **run_progress(run),
    }


def evaluation_item(row: dict) -> dict:
    """One evaluation of spec 6.2; record strings are cut to 100 characters."""
    return {
        "id": row["id"],
        "run_id": row["run_id"],
        "record_index": row["record_index"],
        "metric": row["metric_shortname"],
        "record": {"id": row["row_id"], **{name: row[f"row_{name}"] for name in RECORD_FIELDS}},
        "result": row["result"],
        "threshold": row["threshold"],
        "explanation": row["explanation"],
        "model_slug": row["model_slug"],
        "metric_args": row["metric_args"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "evaluation_cost": cost_text(row["evaluation_cost"]),
        "is_success": row["is_success"],
        "is_gte_threshold": is_gte(row["result"], row["threshold"]),
        "eval_metadata": row["eval_metadata"],
    }


def evaluate_output(evaluation: Evaluation, fields: dict) -> dict:
    """The answer of POST /evaluate: the one evaluation, with the row it scored (`fields`) as sent."""
    return {
        "id": evaluation.pk,
        "run_id": evaluation.run_id,
        "model_slug": evaluation.model_slug,
        "metric_args": evaluation.metric_args,
        "is_success": evaluation.is_success,
        "is_gte_threshold": is_gte(evaluation.result, evaluation.threshold),
        "threshold": evaluation.threshold,
        **fields,
        "started_at": evaluation.started_at,
        "result": evaluation.result,
        "explanation": evaluation.explanation,
        "evaluation_cost": cost_text(evaluation.evaluation_cost),
        "finished_at": evaluation.finished_at,
        "metric_shortname": evaluation.metric_shortname,
        "eval_metadata": evaluation.eval_metadata,
    }
