"""Catalog writes: switching metrics on and off (the admin's actions and form call these)."""

from collections.abc import Iterable

from metrics import registry
from metrics.models import Metric
from metrics.registry import MetricSpec


def can_score(spec: MetricSpec | None) -> bool:
    """A metric may be switched on only where this deployment has a scorer or a judge recipe for it."""
    return bool(spec and (spec.scorer or spec.is_judged))


def metrics_activate(*, metric_ids: Iterable[int]) -> tuple[int, int]:
    """Switch on the scorable metrics among `metric_ids`; the rest stay as they are. Returns (activated, skipped)."""
    ids = list(metric_ids)
    scorable = [pk for pk in ids if can_score(registry.get(pk))]
    activated = Metric.objects.filter(pk__in=scorable).update(is_active=True)
    return activated, len(ids) - len(scorable)


def metrics_deactivate(*, metric_ids: Iterable[int]) -> int:
    return Metric.objects.filter(pk__in=list(metric_ids)).update(is_active=False)
