"""Catalog rows derived from the registry, so the validator, the catalog and the scorer never drift apart."""

import json

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, router

from metrics.registry import REGISTRY

CATALOG_FIELDS = ("shortname", "name", "category", "description", "default_threshold", "args")


def catalog_row(spec) -> dict:
    return {
        "shortname": spec.shortname,
        "name": spec.name,
        "category": spec.category,
        "description": spec.description,
        "default_threshold": spec.default_threshold,
        "args": [arg.as_json() for arg in spec.args],
    }


def sync_catalog(metric_model, using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert missing metrics and refresh the definitions of existing ones; writes nothing when all agree.

    `is_active` is set only when a row is created: after that it belongs to staff, who may switch a metric off.
    """
    rows = metric_model._default_manager.using(using)
    existing = {metric.pk: metric for metric in rows.all()}
    missing, changed = [], []
    for spec in REGISTRY.values():
        # Compared as stored: JSON turns a tuple default into a list, which must not count as a change.
        wanted = json.loads(json.dumps(catalog_row(spec)))
        metric = existing.get(spec.id)
        if metric is None:
            missing.append(metric_model(id=spec.id, is_active=spec.is_active, **wanted))
        elif any(getattr(metric, field) != value for field, value in wanted.items()):
            for field, value in wanted.items():
                setattr(metric, field, value)
            changed.append(metric)
    if changed:
        rows.bulk_update(changed, CATALOG_FIELDS)
    if missing:
        rows.bulk_create(missing)


def sync_after_migrate(sender, *, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    """post_migrate: a metric added in code gets its catalog row on the next migrate, with no data migration.

    Uses Metric as the migration state has it (`apps`), so it also works after a partial migrate; a flush sends
    no `apps`, and then the state is the current code's.
    """
    try:
        metric_model = apps.get_model("metrics", "Metric")
    except LookupError:  # migrated back to before the catalog existed
        return
    if not router.allow_migrate_model(using, metric_model):
        return
    columns = {field.name for field in metric_model._meta.get_fields()}
    if not {"id", "is_active", *CATALOG_FIELDS} <= columns:
        return  # a schema older than these rows; the migrate that brings it up to date syncs
    sync_catalog(metric_model, using=using)
