"""Build data/sqlglot/statements.json from sqlglot's own test sources (its sdist ships tests/).

    pip download --no-deps --no-binary :all: sqlglot==30.30.0 -d /tmp/sqlglot
    tar xzf /tmp/sqlglot/sqlglot-30.30.0.tar.gz -C /tmp/sqlglot
    python metrics/tests/conformance/extract_sqlglot_fixtures.py /tmp/sqlglot/sqlglot-30.30.0

Kept: the first argument of every `validate_identity(...)` call in the dialect test classes below (SQL that
sqlglot's authors assert is valid in that dialect), when it starts with a statement keyword (the suite also
checks bare expressions, which is_valid_sql refuses by design); `check_command_warning=True` marks the ones
sqlglot itself only keeps as an opaque command. Also kept: the incomplete statements of tests/fixtures/partial.sql,
which must fail in every dialect. Nothing here imports sqlglot: the data does not depend on the parser it tests.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

DIALECTS = ("tsql", "postgres", "mysql", "sqlite", "bigquery", "snowflake", "duckdb")
_KEYWORDS = """SELECT WITH INSERT UPDATE DELETE MERGE CREATE ALTER DROP TRUNCATE GRANT REVOKE SET USE SHOW DECLARE
EXEC EXECUTE BEGIN COMMIT ROLLBACK VALUES EXPLAIN DESCRIBE DESC CALL COPY ANALYZE VACUUM PRAGMA ATTACH DETACH
REPLACE UPSERT LOCK UNLOCK OPTIMIZE KILL RENAME COMMENT SUMMARIZE INSTALL LOAD PUT GET LIST REMOVE UNDROP PRINT
RAISERROR THROW RETURN IF WHILE START SAVEPOINT RELEASE PREPARE DEALLOCATE CHECKPOINT REINDEX REFRESH CACHE
UNCACHE FROM TABLE PIVOT UNPIVOT RESET EXPORT IMPORT USING"""
STATEMENT_KEYWORDS = frozenset(_KEYWORDS.split())
OUT = Path(__file__).resolve().parent / "data" / "sqlglot" / "statements.json"


def first_keyword(sql: str) -> str:
    words = sql.lstrip("( \n\t").split(None, 1)
    return words[0].upper().rstrip(";(") if words else ""


def identities(source: str) -> list[dict]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "validate_identity"):
            continue
        if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
            continue
        sql = node.args[0].value
        if first_keyword(sql) not in STATEMENT_KEYWORDS:
            continue
        command = any(
            keyword.arg == "check_command_warning" and getattr(keyword.value, "value", False)
            for keyword in node.keywords
        )
        found.append({"sql": sql, "command": command})
    return found


def main(root: Path) -> None:
    valid = []
    for dialect in DIALECTS:
        seen = set()
        for item in identities((root / "tests" / "dialects" / f"test_{dialect}.py").read_text(encoding="utf-8")):
            if item["sql"] not in seen:
                seen.add(item["sql"])
                valid.append({"dialect": dialect, **item})
    partial = (root / "tests" / "fixtures" / "partial.sql").read_text(encoding="utf-8").splitlines()
    version = root.name.split("-")[-1]
    data = {
        "source": f"sqlglot {version} sdist: tests/dialects/test_<dialect>.py, tests/fixtures/partial.sql",
        "valid": valid,
        "incomplete": [line for line in partial if line.strip()],
    }
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(valid)} valid statements, {len(data['incomplete'])} incomplete ones -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
