"""The metric registry: every metric Aegis knows, keyed by id. Pure Python, no Django.

Structural metrics (ids 1-23) score rows deterministically; the LLM-judged ones (24-47) score through an LLM
judge (registry.judged, metrics.judges) and are usable where a judge backend is configured.
"""

from __future__ import annotations

from . import code, counts, dates, json_metrics, judged, readability, similarity, text, xml_metrics
from .base import NO_DEFAULT, RECORD_FIELDS, Arg, MetricInputError, MetricSpec, Score

__all__ = [
    "NO_DEFAULT",
    "RECORD_FIELDS",
    "REGISTRY",
    "Arg",
    "MetricInputError",
    "MetricSpec",
    "Score",
    "by_shortname",
    "get",
]

_FAMILIES = (text, json_metrics, counts, dates, code, xml_metrics, similarity, readability, judged)


def _build() -> dict[int, MetricSpec]:
    specs = sorted((spec for family in _FAMILIES for spec in family.SPECS), key=lambda spec: spec.id)
    ids = [spec.id for spec in specs]
    shortnames = [spec.shortname for spec in specs]
    if len(set(ids)) != len(ids) or len(set(shortnames)) != len(shortnames):
        raise RuntimeError("metric ids and shortnames must be unique")
    return {spec.id: spec for spec in specs}


REGISTRY: dict[int, MetricSpec] = _build()
_BY_SHORTNAME = {spec.shortname: spec for spec in REGISTRY.values()}


def get(metric_id: int) -> MetricSpec | None:
    return REGISTRY.get(metric_id)


def by_shortname(name: str) -> MetricSpec | None:
    return _BY_SHORTNAME.get(name)
