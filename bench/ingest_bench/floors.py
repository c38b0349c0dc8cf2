"""PostgreSQL's own speed, the floors an upload is measured against: `COPY ... FROM '<file>'` into scratch tables
with the columns of datasets_record and a chosen set of its constraints, and `COPY ... TO STDOUT` for reads.

Each variant adds, to the bare table (columns, defaults, identity primary key), some of: the foreign key on
dataset_id, the one on user_id (both deferred, as Django creates them), the (dataset_id, id) index, and the
trigger that checks each record's dataset in place of a foreign key (datasets migration 0007). The variant with
what datasets_record has now is "same shape"; the one with none is "bare".
"""

import json
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from ingest_bench.data import FIELDS

RECORD_COLUMNS = ("id", "user_id", "dataset_id", *FIELDS, "created_at", "updated_at")
SCRATCH = "bench_copy_floor"
FOREIGN_KEYS = {
    "dataset FK": "FOREIGN KEY (dataset_id) REFERENCES datasets_dataset (id) DEFERRABLE INITIALLY DEFERRED",
    "user FK": "FOREIGN KEY (user_id) REFERENCES accounts_user (id) DEFERRABLE INITIALLY DEFERRED",
}
INDEX = "(dataset_id, id) index"
CHECK_FUNCTION = "datasets_record_dataset_exists"
TRIGGER = "dataset check trigger"


@dataclass(frozen=True)
class Shape:
    parts: frozenset[str]  # of FOREIGN_KEYS' names and INDEX

    @property
    def label(self) -> str:
        parts = (*FOREIGN_KEYS, INDEX, TRIGGER)
        return " + ".join(part for part in parts if part in self.parts) or "primary key only"


def record_shape(db: psycopg.Connection) -> Shape:
    """What datasets_record has now, read from the catalog."""
    parts = set()
    for (definition,) in db.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'datasets_record'::regclass "
        "AND contype = 'f'"
    ):
        parts.update(name for name, fk in FOREIGN_KEYS.items() if fk.split(" REFERENCES")[0] in definition)
    if db.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'record_dataset_id_idx'").fetchone():
        parts.add(INDEX)
    trigger = (
        "SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE t.tgrelid = 'datasets_record'::regclass AND p.proname = %s"
    )
    if db.execute(trigger, (CHECK_FUNCTION,)).fetchone():
        parts.add(TRIGGER)
    return Shape(frozenset(parts))


def variants(same: Shape) -> list[tuple[str, Shape]]:
    """The same shape, every constraint the full shape has taken away one at a time, and the bare table."""
    full = frozenset({*FOREIGN_KEYS, INDEX})
    found = [("same shape", same)]
    candidates = [("all constraints", Shape(full))]
    candidates += [(f"without the {part}", Shape(full - {part})) for part in (*FOREIGN_KEYS, INDEX)]
    candidates.append(("bare", Shape(frozenset())))
    for kind, shape in candidates:
        if kind == "bare" or shape not in (known for _, known in found):
            found.append((kind, shape))
    return found


def checkpoint(db: psycopg.Connection) -> None:
    """Flushes dirty buffers so one measurement does not pay for the previous one's writes."""
    db.execute("CHECKPOINT")


def create_scratch_table(db: psycopg.Connection, shape: Shape, *, dataset_id: int, user_id: int) -> None:
    """dataset_id/user_id default to an existing dataset and its owner so the 5-column COPY fills them."""
    db.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(SCRATCH)))
    db.execute(
        sql.SQL("CREATE TABLE {} (LIKE datasets_record INCLUDING DEFAULTS INCLUDING IDENTITY)").format(
            sql.Identifier(SCRATCH)
        )
    )
    clauses = [
        sql.SQL("ALTER dataset_id SET DEFAULT {}").format(sql.Literal(dataset_id)),
        sql.SQL("ALTER user_id SET DEFAULT {}").format(sql.Literal(user_id)),
        sql.SQL("ADD PRIMARY KEY (id)"),
        *(sql.SQL("ADD " + FOREIGN_KEYS[name]) for name in FOREIGN_KEYS if name in shape.parts),  # type: ignore[arg-type]
    ]
    db.execute(sql.SQL("ALTER TABLE {} ").format(sql.Identifier(SCRATCH)) + sql.SQL(", ").join(clauses))
    if INDEX in shape.parts:
        db.execute(sql.SQL("CREATE INDEX ON {} (dataset_id, id)").format(sql.Identifier(SCRATCH)))
    if TRIGGER in shape.parts:  # the same function as on datasets_record: it reads only NEW and datasets_dataset
        db.execute(
            sql.SQL("CREATE TRIGGER check_dataset BEFORE INSERT ON {} FOR EACH ROW EXECUTE FUNCTION {}()").format(
                sql.Identifier(SCRATCH), sql.Identifier(CHECK_FUNCTION)
            )
        )


def copy_from_file(db: psycopg.Connection, csv_path: Path) -> tuple[float, int]:
    statement = sql.SQL("COPY {} ({}) FROM {} WITH (FORMAT csv, HEADER true)").format(
        sql.Identifier(SCRATCH), sql.SQL(", ").join(map(sql.Identifier, FIELDS)), sql.Literal(str(csv_path))
    )
    started = time.perf_counter()
    with db.transaction():
        rows = db.execute(statement).rowcount
    return time.perf_counter() - started, rows


def measure_floor(
    db: psycopg.Connection, shape: Shape, csv_path: Path, *, dataset_id: int, user_id: int
) -> tuple[float, int]:
    create_scratch_table(db, shape, dataset_id=dataset_id, user_id=user_id)
    checkpoint(db)
    seconds, copied = copy_from_file(db, csv_path)
    db.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(SCRATCH)))
    return seconds, copied


def copy_out_json(db: psycopg.Connection, dataset_id: int) -> tuple[float, int]:
    statement = sql.SQL("COPY (SELECT row_to_json(r) FROM datasets_record r WHERE dataset_id = {}) TO STDOUT").format(
        sql.Literal(dataset_id)
    )
    total = 0
    started = time.perf_counter()
    with db.cursor() as cursor, cursor.copy(statement) as copy:
        for data in copy:
            total += len(data)
    return time.perf_counter() - started, total


def first_page_plan(db: psycopg.Connection, dataset_id: int) -> tuple[float, str]:
    """Execution time (ms) and the node types of EXPLAIN ANALYZE for the first 100 records of a dataset."""
    statement = sql.SQL(
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT {} FROM datasets_record WHERE dataset_id = {} ORDER BY id LIMIT 100"
    ).format(sql.SQL(", ").join(map(sql.Identifier, RECORD_COLUMNS)), sql.Literal(dataset_id))
    (result,) = db.execute(statement).fetchone()
    plan = result[0] if isinstance(result, list) else json.loads(result)[0]
    nodes, node = [], plan["Plan"]
    while node:
        nodes.append(node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else ""))
        node = (node.get("Plans") or [None])[0]
    return plan["Execution Time"], " > ".join(nodes)
