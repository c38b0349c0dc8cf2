"""Catalog reads: each metric as the API shows it, with its availability decided by metrics.availability."""

from typing import TypedDict

from metrics import registry
from metrics.availability import RouteMemo, metric_problem
from metrics.models import Metric
from metrics.registry.base import JSON


class MetricEntry(TypedDict):
    id: int
    shortname: str
    name: str
    category: str
    description: str
    is_active: bool
    inactive_reason: str | None
    default_threshold: int
    args: JSON  # the stored argument declarations (Arg.as_json of each)


def metric_entry(metric: Metric, *, routes: RouteMemo | None = None) -> MetricEntry:
    spec = registry.get(metric.pk)
    if spec is None:  # a row left behind by a metric removed from code
        problem: str | None = "inactive: this deployment has no scorer for it"
    else:
        problem = metric_problem(metric=metric, spec=spec, model_slug=None, routes=routes)
    return {
        "id": metric.pk,
        "shortname": metric.shortname,
        "name": metric.name,
        "category": metric.category,
        "description": metric.description,
        "is_active": problem is None,
        "inactive_reason": problem,
        "default_threshold": metric.default_threshold,
        "args": metric.args,
    }


def metric_list() -> list[MetricEntry]:
    routes: RouteMemo = {}  # the default model's route is read once for the whole list
    return [metric_entry(metric, routes=routes) for metric in Metric.objects.order_by("id")]
