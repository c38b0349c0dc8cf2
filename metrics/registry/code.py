"""Code metrics: Python and SQL syntax checks. Nothing is ever executed."""

from __future__ import annotations

import warnings
from functools import cache
from typing import TYPE_CHECKING, Any

from .base import Arg, Args, MetricSpec, Record, Score, ensure_size, field_text, pass_fail

if TYPE_CHECKING:
    from sqlglot import exp

STRUCTURAL = "Structural"


def score_is_valid_python(record: Record, args: Args) -> Score:
    source = field_text(record, "output")
    if not source.strip():
        return pass_fail(False, "output is empty")
    ensure_size("output", source)
    # compile() (not just ast.parse) also catches errors such as 'return' outside a function; it builds
    # bytecode but runs nothing. Warnings about odd but valid code must not turn into errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(source, "<output>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            where = f" at line {exc.lineno}" if exc.lineno else ""
            return pass_fail(False, f"output is not valid Python: {exc.msg}{where}")
        except (ValueError, MemoryError, RecursionError) as exc:
            # Null bytes, or nesting too deep for the compiler: CPython rejects such source.
            return pass_fail(False, f"output is not valid Python ({type(exc).__name__})")
    return pass_fail(True, "output is valid Python syntax")


@cache
def sql_dialects() -> tuple[str, ...]:
    from sqlglot.dialects.dialect import Dialect

    return tuple(sorted(name for name in Dialect.classes if name))


def dialect_problem(value: Any) -> str | None:
    if value not in sql_dialects():
        return f"must be a SQL dialect known to sqlglot (e.g. tsql, postgres, mysql), got {value!r}"
    return None


def _unchecked_command(statement: exp.Expr) -> str | None:
    """The keyword of an opaque command in `statement`, or None.

    What sqlglot cannot parse after a leading keyword it keeps as a Command holding the rest as raw text,
    unchecked: garbage such as "CREATE TRIGGER ((((" would pass, so such a statement is not vouched for. A bare
    keyword command (BEGIN, VACUUM, UNLOCK TABLES) has no unchecked text and stands.
    """
    from sqlglot import exp

    for command in statement.find_all(exp.Command):
        rest = command.args.get("expression")
        text = rest.this if isinstance(rest, exp.Expression) else rest
        if text is not None and str(text).strip():
            return " ".join(f"{command.this} {text}".split()[:2])[:40]
    return None


def score_is_valid_sql(record: Record, args: Args) -> Score:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    source = field_text(record, "output")
    dialect = args.get("dialect", "tsql")
    ensure_size("output", source)
    try:
        parsed = sqlglot.parse(source, read=dialect)
    except SqlglotError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return pass_fail(False, f"output is not valid {dialect} SQL: {first_line[:200]}")
    statements = [statement for statement in parsed if statement is not None]
    if not statements:
        return pass_fail(False, "output contains no SQL statement")
    for statement in statements:
        # sqlglot also parses bare expressions ("foo", "1 + 1", "hello world" as an alias); those are not statements.
        if isinstance(statement, exp.Condition | exp.Alias | exp.Star | exp.Identifier):
            return pass_fail(False, f"output is an expression, not a {dialect} SQL statement")
        if (keyword := _unchecked_command(statement)) is not None:
            return pass_fail(False, f"output has a statement whose {dialect} syntax is not checked ({keyword} ...)")
    return pass_fail(True, f"output is valid {dialect} SQL ({len(statements)} statement(s))")


SPECS = [
    MetricSpec(
        id=12,
        shortname="is_valid_python",
        name="Is valid Python",
        category=STRUCTURAL,
        description=(
            "Passes when the output compiles as Python 3 source (syntax only; it is never executed). "
            "Empty or whitespace-only output scores 0."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(),
        is_active=True,
        scorer=score_is_valid_python,
    ),
    MetricSpec(
        id=13,
        shortname="is_valid_sql",
        name="Is valid SQL",
        category=STRUCTURAL,
        description=(
            "Passes when the output parses as one or more SQL statements in the chosen dialect (sqlglot names, "
            "syntax only). Bare expressions and empty output score 0, and so does a statement whose syntax sqlglot "
            "does not check (it keeps the text after the keyword as an opaque command: e.g. CREATE TRIGGER in "
            "most dialects, PRINT in tsql)."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(
            Arg(
                "dialect",
                "string",
                default="tsql",
                description="SQL dialect, as named by sqlglot (tsql, postgres, mysql, sqlite, bigquery, ...).",
                check=dialect_problem,
            ),
        ),
        is_active=True,
        scorer=score_is_valid_sql,
    ),
]
