"""sqlglot's own dialect fixtures through is_valid_sql (see extract_sqlglot_fixtures.py for what was kept)."""

import pytest

from .suites import load_json, score

DATA = load_json("sqlglot/statements.json")
CHECKED = [case for case in DATA["valid"] if not case["command"]]
# Statements sqlglot only keeps as an opaque command (check_command_warning=True in its suite): their syntax
# is never checked, so is_valid_sql cannot vouch for them and scores them 0, as its description says.
OPAQUE = [case for case in DATA["valid"] if case["command"]]
DIALECTS = sorted({case["dialect"] for case in DATA["valid"]})
# Documented exceptions: partial.sql is sqlglot's set of incomplete statements (its suite parses them with errors
# ignored), but sqlglot's parser accepts these two in every dialect (an empty select list is even valid PostgreSQL).
# is_valid_sql does not second-guess its parser, so they score 100.
ACCEPTED_BY_THE_PARSER = {"SELECT FROM x", "SELECT a FROM x GROUP BY"}
GARBAGE = [
    ("tsql", "CREATE TRIGGER (((("),
    ("tsql", "ALTER ))) garbage ((("),
    ("tsql", "DECLARE @@@ (((("),
    ("postgres", "CREATE TRIGGER (((("),
    ("mysql", "ALTER ))) garbage ((("),
    ("postgres", "VACUUM ((( garbage"),
]


def _id(case) -> str:
    return f"{case['dialect']}:{case['sql'][:60]}"


@pytest.mark.parametrize("case", CHECKED, ids=[_id(case) for case in CHECKED])
def test_statement_sqlglot_checks_is_valid(case):
    scored = score("is_valid_sql", case["sql"], dialect=case["dialect"])
    assert scored.result == 100.0, scored.explanation


@pytest.mark.parametrize("case", OPAQUE, ids=[_id(case) for case in OPAQUE])
def test_statement_sqlglot_keeps_opaque_is_not_vouched_for(case):
    scored = score("is_valid_sql", case["sql"], dialect=case["dialect"])
    assert scored.result == 0.0
    assert "not checked" in scored.explanation


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("sql", DATA["incomplete"])
def test_incomplete_statement_fails(sql, dialect):
    expected = 100.0 if sql in ACCEPTED_BY_THE_PARSER else 0.0
    assert score("is_valid_sql", sql, dialect=dialect).result == expected


@pytest.mark.parametrize("dialect,sql", GARBAGE)
def test_garbage_behind_a_statement_keyword_fails(dialect, sql):
    scored = score("is_valid_sql", sql, dialect=dialect)
    assert scored.result == 0.0, scored.explanation


def test_the_fixtures_are_all_there():
    assert (len(CHECKED), len(OPAQUE), len(DATA["incomplete"])) == (2239, 51, 7)
