"""`selected_metrics`: the metrics attached to a dataset, with their thresholds and argument overrides.

Decoded form: {"<metric id>": {"threshold": int 0-100, "metric_args": object | null}}. The legacy shorthand
{"<metric id>": <threshold>} is accepted on input. The normalized object form is what is stored and echoed.
"""

import re

from aegis.errors import BusinessRuleError
from metrics import registry
from metrics.args import MetricArgsError, resolve_args
from metrics.availability import RouteMemo, metric_problem
from metrics.models import Metric

FIELD = "selected_metrics"
METRIC_ID = re.compile(r"[1-9][0-9]{0,9}")
ENTRY_KEYS = {"threshold", "metric_args"}


def _fail(problems: list[str]):
    raise BusinessRuleError(f"Invalid {FIELD}: " + "; ".join(problems), errors={FIELD: problems})


def _threshold_problem(metric_key: str, threshold) -> str | None:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 0 <= threshold <= 100:
        return f"metric {metric_key}: threshold must be an integer from 0 to 100, got {threshold!r}"
    return None


def normalize_selected_metrics(decoded) -> dict[str, dict]:
    """Validate a decoded `selected_metrics` value against the catalog and return its normalized form."""
    if not isinstance(decoded, dict):
        _fail(["must be a JSON object keyed by metric id"])
    if not decoded:
        _fail(["at least one metric is required"])

    problems, entries = [], {}
    for key, value in decoded.items():
        if not METRIC_ID.fullmatch(key):
            problems.append(f"key {key!r} is not an integer metric id")
            continue
        if not isinstance(value, dict):
            value = {"threshold": value}  # legacy shorthand: {"1": 70}
        unknown = sorted(set(value) - ENTRY_KEYS)
        if unknown:
            problems.append(f"metric {key}: unknown field(s) {', '.join(unknown)} (allowed: threshold, metric_args)")
        if "threshold" not in value:
            problems.append(f"metric {key}: threshold is required")
        elif problem := _threshold_problem(key, value["threshold"]):
            problems.append(problem)
        metric_args = value.get("metric_args")
        if metric_args is not None and not isinstance(metric_args, dict):
            problems.append(f"metric {key}: metric_args must be an object or null")
        entries[key] = {"threshold": value.get("threshold"), "metric_args": metric_args}
    if problems:
        _fail(problems)

    catalog = {metric.id: metric for metric in Metric.objects.filter(id__in=[int(key) for key in entries])}
    routes: RouteMemo = {}
    for key, entry in entries.items():
        metric = catalog.get(int(key))
        spec = registry.get(int(key))
        if metric is None or spec is None:
            problems.append(f"metric {key}: unknown metric id")
        # A dataset names no model: its judged metrics are checked against the platform default.
        elif problem := metric_problem(metric=metric, spec=spec, model_slug=None, routes=routes):
            problems.append(f"metric {key} ({metric.shortname}) is {problem}")
        else:
            try:
                resolve_args(spec, entry["metric_args"])
            except MetricArgsError as exc:
                problems.extend(exc.messages)
    if problems:
        _fail(problems)
    return entries
