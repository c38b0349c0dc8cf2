"""Whether a metric can be used now: the one rule behind runs, /evaluate, dataset creation and the catalog."""

from __future__ import annotations

import os
from collections.abc import Mapping

from metrics.judges.routing import ModelRoute, configuration_problem, route_for
from metrics.models import Metric
from metrics.registry import MetricSpec

# The model a run or evaluation uses when it names none (a null model_slug means the platform default).
DEFAULT_MODEL_SLUG = "gpt-4o"

RouteMemo = dict[str, ModelRoute | None]


def metric_problem(
    *,
    metric: Metric,
    spec: MetricSpec,
    model_slug: str | None,
    environ: Mapping[str, str] = os.environ,
    routes: RouteMemo | None = None,
) -> str | None:
    """None when the metric is usable with this model (None: the default), else a phrase starting "inactive".

    A judged metric also needs its model's route configured, so the phrase says what to set. Callers checking
    many metrics pass one `routes` dict, so each model is read from the catalog once.
    """
    if not metric.is_active:
        return "inactive: switched off by an administrator"
    if not spec.is_active or not (spec.scorer or spec.is_judged):
        return "inactive: this deployment has no scorer for it"
    if not spec.is_judged:
        return None
    slug = model_slug or DEFAULT_MODEL_SLUG
    if routes is None:
        route = route_for(slug)
    else:
        if slug not in routes:
            routes[slug] = route_for(slug)
        route = routes[slug]
    if route is None:
        return f"inactive: model {slug} is not in the model catalog, so LLM-judged metrics cannot use it"
    if problem := configuration_problem(route, environ):
        return f"inactive: {problem} to enable LLM-judged metrics with model {slug}"
    return None
