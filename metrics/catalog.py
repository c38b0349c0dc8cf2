"""Catalog rows derived from the registry, so the validator, the catalog and the scorer never drift apart."""

from metrics.registry import REGISTRY


def catalog_row(spec) -> dict:
    return {
        "shortname": spec.shortname,
        "name": spec.name,
        "category": spec.category,
        "description": spec.description,
        "default_threshold": spec.default_threshold,
        "args": [arg.as_json() for arg in spec.args],
    }


def sync_catalog(metric_model) -> None:
    """Insert missing metrics and refresh the definitions of existing ones.

    `is_active` is set only when a row is created: after that it belongs to staff, who may switch a metric off.
    """
    for spec in REGISTRY.values():
        _, created = metric_model.objects.update_or_create(
            id=spec.id, defaults=catalog_row(spec), create_defaults={**catalog_row(spec), "is_active": spec.is_active}
        )
