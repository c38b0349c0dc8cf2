"""Benchmark of a blocking dataset run against its floor, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/runs.py --rows 100000

It creates a throwaway database on the DATABASE_URL server, migrates it, loads a dataset of N records with
three metrics (exact_match, json_equal, word_ct_match), then measures:

- run: runs.services.run_create_from_dataset(is_blocking=True), the real service (read records, score,
  COPY finished evaluations, aggregate, set finished_at);
- floor: the bare scoring loop over records already in memory, plus a raw COPY (committed) of the same
  number of evaluation rows into a scratch table shaped like runs_evaluation (same columns, defaults and
  indexes, logged like it; no foreign keys).

It prints both times, their ratio (target: at most 2.0) and the process's peak RSS after the run. The
database is dropped at the end, even on failure.
"""

import argparse
import os
import random
import resource
import sys
import time

import harness  # bench/ is first on sys.path (this script's folder), until the project root is put before it

sys.path.insert(0, str(harness.ROOT))

METRIC_IDS = (1, 2, 21)  # exact_match, json_equal, word_ct_match
WORDS = ("the", "model", "answer", "refund", "order", "policy", "customer", "invoice", "café", "naïve")
TARGET_RATIO = 2.0


def make_row(index: int, rng: random.Random) -> tuple:
    payload = f'{{"id": {index}, "tags": ["{rng.choice(WORDS)}", "{rng.choice(WORDS)}"], "ok": true}}'
    golden = payload if rng.random() < 0.7 else payload.replace("true", "false")
    prompt = " ".join(rng.choice(WORDS) for _ in range(12))
    return (prompt, None, None, payload, golden)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_dataset(rows: int):
    from django.db import connection

    rng = random.Random(7)
    user, dataset = harness.bench_dataset(
        (make_row(i, rng) for i in range(rows)),
        thresholds=dict.fromkeys(METRIC_IDS, 70),
        structure=["prompt", "output", "golden_answer"],
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE datasets_record")
    return user, dataset


def settle() -> None:
    """Flush dirty pages first, so a checkpoint triggered by earlier writes does not land inside a measurement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def time_run(user, dataset) -> tuple[float, object]:
    from runs.services import run_create_from_dataset

    settle()
    started = time.perf_counter()
    run = run_create_from_dataset(user=user, dataset_id=dataset.pk, is_blocking=True)
    return time.perf_counter() - started, run


def time_floor(dataset) -> tuple[float, float, int]:
    """Scoring loop over in-memory records, then a raw COPY of that many evaluation rows."""
    from django.db import connection, transaction
    from django.utils import timezone

    from datasets.models import Record
    from metrics import registry
    from metrics.args import resolve_args
    from runs.models import RECORD_FIELDS

    records = [
        dict(zip(RECORD_FIELDS, row, strict=True))
        for row in Record.objects.filter(dataset=dataset).values_list(*RECORD_FIELDS)
    ]
    plans = [(registry.get(i), resolve_args(registry.get(i))) for i in METRIC_IDS]

    settle()
    started = time.perf_counter()
    scored = []
    for index, fields in enumerate(records):
        for spec, args in plans:
            try:
                score = spec.score(fields, args)
                scored.append((index, spec.id, score.result, score.explanation, True))
            except registry.MetricInputError as exc:
                scored.append((index, spec.id, None, str(exc), False))
    scoring = time.perf_counter() - started

    now = timezone.now()
    columns = (
        "run_id, record_index, metric_id, metric_shortname, threshold, model_slug, metric_args, result,"
        " explanation, is_success, started_at, finished_at, evaluation_cost"
    )
    rows = [(1, i, m, "m", 70, "gpt-4o", "{}", r, e, s, now, now, 0) for i, m, r, e, s in scored]
    # A regular (logged) table, like the real one: a temporary table would skip the write-ahead log and make
    # the floor unfairly fast. Same columns, defaults and indexes; no foreign keys. The commit is timed too.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS floor_evaluation")
        cursor.execute("CREATE TABLE floor_evaluation (LIKE runs_evaluation INCLUDING ALL)")
    copy_sql = f"COPY floor_evaluation ({columns}) FROM STDIN"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)
    copying = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE floor_evaluation")
    return scoring, copying, len(rows)


def measure(options: argparse.Namespace) -> int:
    """The run and its floor, in a migrated database; 0 when the ratio holds."""
    user, dataset = load_dataset(options.rows)
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx("time_run(user, dataset)", globals(), locals(), "/tmp/bench_runs.prof")
    run_seconds, run = min((time_run(user, dataset) for _ in range(options.repeat)), key=lambda pair: pair[0])
    rss = peak_rss_mb()
    scoring, copying, evaluations = min(
        (time_floor(dataset) for _ in range(options.repeat)), key=lambda parts: parts[0] + parts[1]
    )
    floor = scoring + copying
    run.refresh_from_db()
    print(f"records            {options.rows:,}  x {len(METRIC_IDS)} metrics = {evaluations:,} evaluations")
    print(f"best of {options.repeat}")
    print(f"run (blocking)     {run_seconds:8.2f} s   finished_at set: {run.finished_at is not None}")
    print(f"  aggregates       {run.aggregate_results}")
    print(f"floor              {floor:8.2f} s   (scoring {scoring:.2f} s + raw COPY {copying:.2f} s)")
    print(f"ratio              {run_seconds / floor:8.2f}    target <= {TARGET_RATIO}")
    print(f"peak RSS after run {rss:8.0f} MB")
    return 0 if run_seconds / floor <= TARGET_RATIO else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="measure each side this many times; keep the best")
    options = parser.parse_args()
    server = harness.postgres_server()
    if server is None:
        return 2

    with harness.throwaway_database("aegis_bench_runs", server=server) as database:
        try:
            harness.setup_django({"DATABASE_URL": database.url, "CELERY_BROKER_URL": ""}, defaults={"DEBUG": "1"})
            return measure(options)
        finally:
            harness.close_django_connections()


if __name__ == "__main__":
    sys.exit(main())
