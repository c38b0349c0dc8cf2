"""Database constraint violations, told apart by the constraint's name and turned into the error a caller reads."""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from django.apps import apps
from django.db import IntegrityError, connection, models

ErrorFactory = Callable[[], Exception]


@contextmanager
def constraint_violation(
    errors: Mapping[str, ErrorFactory], *, otherwise: ErrorFactory | None = None
) -> Iterator[None]:
    """Raise `errors[name]()` when the block breaks the unique constraint `name`; `otherwise()` for any other
    integrity error, when given. An error nobody mapped is raised as it is."""
    try:
        yield
    except IntegrityError as exc:
        for name, factory in errors.items():
            if violates(exc, name):
                raise factory() from None
        if otherwise is not None:
            raise otherwise() from None
        raise


def violates(exc: IntegrityError, name: str) -> bool:
    """Whether `exc` is a violation of the constraint called `name`."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL (psycopg) names the constraint
        return bool(diag.constraint_name == name)
    return _sqlite_names(exc, name)


def _sqlite_names(exc: IntegrityError, name: str) -> bool:
    """SQLite names an index on expressions ("index 'name'") but only the columns of a plain one ("t.a, t.b")."""
    prefix = "UNIQUE constraint failed: "
    text = str(exc)
    if connection.vendor != "sqlite" or not text.startswith(prefix):
        return False
    found = _unique_constraint(name)
    if found is None:
        return False
    model, constraint = found
    if not constraint.fields:
        return text == f"{prefix}index '{name}'"
    table = model._meta.db_table
    columns = [model._meta.get_field(field).column for field in constraint.fields]  # type: ignore[union-attr]
    return text == prefix + ", ".join(f"{table}.{column}" for column in columns)


def _unique_constraint(name: str) -> tuple[type[models.Model], models.UniqueConstraint] | None:
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name and isinstance(constraint, models.UniqueConstraint):
                return model, constraint
    return None
