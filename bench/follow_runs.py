"""Benchmark of following a large run over HTTP: polling it, paging its evaluations, listing runs, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/follow_runs.py
    ... bench/follow_runs.py --via-service           # write the run through the service (much slower)
    ... bench/follow_runs.py --app-dir /tmp/aegis-x  # load and serve another tree, e.g. a copy with a fix

It creates a throwaway database on the DATABASE_URL server, migrates it and loads a dataset of 333,334 records
(COPY) with three structural metrics (exact_match, is_numeric, word_ct_match): a run of 1,000,002 evaluations.
About 1% of the records have no golden answer, so their exact_match evaluation fails (is_success false) and the
failure filter has rows to find.

The run is what runs.services.run_create_from_dataset(is_blocking=True) leaves: by default written with COPY
(same plans, scorers, columns and record order, the stored progress added as the service adds it, and the
service's own finishing step), because the service scores through its evaluator pool, which this benchmark does
not measure and which takes many minutes at this size; --via-service goes through the service itself. Either
way the stored progress is checked against a count of the evaluations. Then VACUUM ANALYZE, as autovacuum would
have done on a live database by the time anyone pages the run: without it the statistics are empty and the
visibility map unset, and the plans would be those of a table nobody has looked at yet.

It makes an API key (accounts.services.api_key_create), starts gunicorn (one sync worker, DEBUG off) on a free
loopback port and times over real HTTP, from the first byte sent to the last byte read, in `--repeat` rounds
after `--warmup` untimed ones (a round sends each request once):

- GET /api/v1/runs/{id} with `Prefer: return=minimal`;
- GET /api/v1/runs/{id}/evaluations?page_size=100: the first page; the second (after_id = the first page's last
  id, where a client walking the run goes next), a middle one and the last one by after_id (ids read from the
  database at 100 rows, 50% and 100 rows before the end);
- the failures, ?is_success=false&page_size=100: the first page and one 90% of the way into them by after_id;
- the first page of one metric, ?metric=exact_match&page_size=100;
- GET /api/v1/runs?page_size=20;
- for reference, not held to the target: GET /api/v1/dataset-types, which reads no run data.

It prints median and p95 (nearest rank) per request against the target (p95 under 50 ms), with the gunicorn
worker's CPU time per request, then the SQL the view runs for the failure page and the middle page (captured
in-process through the same view with CaptureQueriesContext), each under EXPLAIN (ANALYZE, BUFFERS). Everything
it started is stopped and the database dropped at the end, even on failure; the exit status is 1 when a target
is missed.
"""

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from urllib.parse import urlencode

import harness  # bench/ is first on sys.path (this script's folder), until the project root is put before it
import psycopg
from harness import Reply

ROOT = harness.ROOT
sys.path.insert(0, str(ROOT))
METRIC_IDS = (1, 9, 21)  # exact_match, is_numeric, word_ct_match
WORDS = ("the", "model", "answer", "refund", "order", "policy", "customer", "invoice", "café", "naïve")
PAGE = 100
READ_CHUNK = 5000
TARGET_MS = 50.0
READY_PATH = "/api/v1/runs?page_size=1"  # an authenticated 200 here: gunicorn serves


# --- data ----------------------------------------------------------------------------------------------------------


def make_row(rng: random.Random, missing_golden: float) -> tuple:
    """(prompt, input, context, output, golden_answer): a third numeric outputs, the rest a few words."""
    prompt = " ".join(rng.choice(WORDS) for _ in range(12))
    if rng.random() < 0.33:
        output = str(rng.randint(0, 9999))
    else:
        output = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
    if rng.random() < missing_golden:
        golden = None  # exact_match needs it: a failed evaluation, not a low score
    else:
        golden = output if rng.random() < 0.6 else " ".join(rng.choice(WORDS) for _ in range(4))
    return (prompt, None, None, output, golden)


def load_dataset(records: int, missing_golden: float):
    rng = random.Random(7)
    return harness.bench_dataset(
        (make_row(rng, missing_golden) for _ in range(records)),
        thresholds=dict.fromkeys(METRIC_IDS, 70),
        structure=["prompt", "output", "golden_answer"],
    )


def create_run_by_copy(user, dataset):
    """The run run_create_from_dataset(is_blocking=True) would leave, written by COPY.

    The same plans (runs.plans.dataset_plans), the same scorers (MetricSpec.score; a MetricInputError is a failed
    evaluation), the same columns and record order, the stored progress added as write_evaluations adds it, and
    the real finishing step (finished_at, aggregates). Only the scoring is in this process instead of the
    evaluator pool, which is not what this benchmark measures and costs minutes at this size.
    """
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from datasets.models import Record
    from metrics.availability import DEFAULT_MODEL_SLUG
    from metrics.registry import MetricInputError
    from runs.models import RECORD_FIELDS, Evaluation, Run
    from runs.plans import dataset_plans
    from runs.scoring import COLUMNS, finish_run_if_complete

    plans = dataset_plans(dataset=dataset, metric_args=None, model_slug=DEFAULT_MODEL_SLUG)
    started_at = timezone.now()
    table = connection.ops.quote_name(Evaluation._meta.db_table)
    copy_sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
    written = failed = 0
    with transaction.atomic():
        run = Run.objects.create(
            user=user,
            author_email=user.email,
            alias=f"{dataset.name} {started_at:%Y-%m-%d %H:%M:%S}",
            run_type=Run.RunType.DATASET,
            dataset=dataset,
            model_slug=DEFAULT_MODEL_SLUG,
            metric_count=len(plans),
            started_at=started_at,
        )
        records = Record.objects.filter(dataset_id=dataset.pk).order_by("id").values_list("id", *RECORD_FIELDS)
        records = records.iterator(chunk_size=READ_CHUNK)
        index = 0
        # One COPY per chunk, as the service does: a server-side cursor cannot be read while a COPY is running.
        while chunk := list(islice(records, READ_CHUNK)):
            finished_at = timezone.now()
            with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
                for record_id, *values in chunk:
                    fields = dict(zip(RECORD_FIELDS, values, strict=True))
                    for plan in plans:
                        try:
                            score = plan.spec.score(fields, plan.args)
                            outcome = (score.result, score.explanation, True)
                        except MetricInputError as exc:
                            outcome = (None, str(exc), False)
                            failed += 1
                        copy.write_row(
                            (run.pk, plan.spec.id, plan.spec.shortname, plan.threshold, plan.model_slug,
                             plan.args_json, started_at, record_id, None, index, *outcome, finished_at, 0, None)
                        )  # fmt: skip
                        written += 1
                    index += 1
        Run.objects.filter(pk=run.pk).update(
            evaluation_count=F("evaluation_count") + written,
            done_count=F("done_count") + written,
            failed_count=F("failed_count") + failed,
        )
    finish_run_if_complete(run.pk)
    run.refresh_from_db()
    return run


def check_counts(run) -> int:
    """The stored progress must be what counting the evaluations gives; returns the number of failures."""
    from django.db.models import Count, Q

    from runs.models import Evaluation

    counted = Evaluation.objects.filter(run_id=run.pk).aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(is_success__isnull=False)),
        failed=Count("id", filter=Q(is_success=False)),
    )
    stored = {"total": run.evaluation_count, "done": run.done_count, "failed": run.failed_count}
    if counted != stored:
        raise RuntimeError(f"stored progress {stored} differs from the evaluations {counted}")
    return counted["failed"]


def nth_id(run_id: int, position: int, *, failed_only: bool = False) -> int:
    """The id of the run's evaluation at 0-based `position` in id order (of its failures, with failed_only)."""
    from django.db import connection

    condition = " AND is_success = false" if failed_only else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM runs_evaluation WHERE run_id = %s{condition} ORDER BY id OFFSET %s LIMIT 1",
            [run_id, position],
        )
        return cursor.fetchone()[0]


# --- server --------------------------------------------------------------------------------------------------------


def get(port: int, key: str, path: str, headers: dict | None = None) -> Reply:
    # A new connection each time, as a poller would open: a sync worker closes it after every response anyway.
    return harness.request(port, "GET", path, key=key, headers=headers)


def cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far, in ms."""
    return harness.cpu_seconds(pid) * 1000


# --- measurements --------------------------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    path: str
    headers: dict
    items: int | None  # items expected on the page; None for a body without items
    target: bool = True  # False: a reference, timed but not held to the target


@dataclass
class Timing:
    case: Case
    median: float
    p95: float
    worker_cpu: float  # mean CPU ms of the gunicorn worker per timed request
    size: int
    items: int | None
    total_items: int | None

    @property
    def passed(self) -> bool:
        return self.p95 < TARGET_MS


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(port: int, worker: int, key: str, cases: list[Case], *, warmup: int, repeat: int) -> list[Timing]:
    """Round robin: each round sends every request once, so a burst of load from elsewhere on a shared machine
    lands on all of them alike rather than on whichever request was being repeated at the time."""
    for _ in range(warmup):
        for case in cases:
            get(port, key, case.path, case.headers)
    replies: dict[str, list[Reply]] = {case.label: [] for case in cases}
    cpu: dict[str, float] = dict.fromkeys(replies, 0.0)
    for _ in range(repeat):
        for case in cases:
            before = cpu_ms(worker)
            replies[case.label].append(get(port, key, case.path, case.headers))
            cpu[case.label] += cpu_ms(worker) - before
    return [timing(case, replies[case.label], cpu[case.label] / repeat) for case in cases]


def timing(case: Case, replies: list[Reply], worker_cpu: float) -> Timing:
    for reply in replies:
        if reply.status != 200:
            raise RuntimeError(f"{case.label}: HTTP {reply.status}: {reply.body[:500]!r}")
    body = json.loads(replies[-1].body)
    items = len(body["items"]) if "items" in body else None
    if case.items is not None and items != case.items:
        raise RuntimeError(f"{case.label}: {items} items, expected {case.items}")
    if case.headers.get("Prefer") == "return=minimal" and "evaluations" in body:
        raise RuntimeError(f"{case.label}: the minimal body has evaluations")
    times = [reply.seconds * 1000 for reply in replies]
    total = body["meta"]["total_items"] if "meta" in body else None
    return Timing(
        case, statistics.median(times), nearest_rank(times, 0.95), worker_cpu, len(replies[-1].body), items, total
    )


def print_table(timings: list[Timing], repeat: int, warmup: int) -> None:
    header = ("request", "median ms", "p95 ms", "worker CPU ms", "target", "ok", "items", "total_items", "bytes")
    lines = [header]
    for timing in timings:
        held = timing.case.target
        lines.append(
            (
                timing.case.label,
                f"{timing.median:.1f}",
                f"{timing.p95:.1f}",
                f"{timing.worker_cpu:.1f}",
                f"<{TARGET_MS:g}" if held else "",
                ("PASS" if timing.passed else "FAIL") if held else "ref",
                "" if timing.items is None else str(timing.items),
                "" if timing.total_items is None else f"{timing.total_items:,}",
                f"{timing.size:,}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print(
        f"\n{repeat} timed requests each, in rounds, after {warmup} warm-up rounds; wall time from request to last"
        " byte; median and p95"
        f" (nearest rank); PASS when p95 < {TARGET_MS:g} ms. worker CPU: the gunicorn worker's user+system time per"
        " request (the PostgreSQL backend's is not in it)"
    )
    for number, line in enumerate(lines):
        cells = [
            cell.rjust(width) if 0 < i < 4 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if number == 0:
            print("  ".join("-" * width for width in widths))


def explain_view(label: str, path: str, key: str, server_url: str) -> None:
    """Runs the request in-process through the same view, captures its SQL, and EXPLAINs what reads evaluations."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # Static files are not collected in a source tree; WhiteNoise says so once, which is no finding here.
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")
    client = Client(SERVER_NAME="127.0.0.1")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")
    if response.status_code != 200:
        raise RuntimeError(f"{label} in-process: HTTP {response.status_code}")
    statements = [query["sql"] for query in captured.captured_queries if "runs_evaluation" in query["sql"]]
    print(f"\n=== {label}: GET {path}")
    print(f"{len(captured.captured_queries)} queries in all, {len(statements)} on runs_evaluation")
    # A separate connection, so the plans run outside anything the in-process request left open.
    with psycopg.connect(server_url, autocommit=True) as db:
        for number, statement in enumerate(statements, 1):
            print(f"\n--- query {number}\n{statement}\n")
            for (line,) in db.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement):
                print(line)


# --- main ----------------------------------------------------------------------------------------------------------


def run_benchmark(options, url: str) -> int:
    from django.db import connection

    from accounts.services import api_key_create
    from runs.services import run_create_from_dataset

    started = time.perf_counter()
    user, dataset = load_dataset(options.records, options.missing_golden)
    print(f"dataset: {options.records:,} records loaded by COPY in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    if options.via_service:
        run = run_create_from_dataset(user=user, dataset_id=dataset.pk, is_blocking=True)
        how = "run_create_from_dataset(is_blocking=True)"
    else:
        run = create_run_by_copy(user, dataset)
        how = "COPY (scored in-process, counts and finish as the service)"
    run_seconds = time.perf_counter() - started
    failures = check_counts(run)
    print(
        f"run {run.pk}: {run.evaluation_count:,} evaluations ({len(METRIC_IDS)} metrics), {failures:,} failed,"
        f" status {run.status}, written by {how} in {run_seconds:.1f} s; stored progress = counted"
    )

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("datasets_record", "runs_evaluation", "runs_run"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")  # so no checkpoint of the load's writes lands inside a measurement
    print(f"VACUUM ANALYZE + CHECKPOINT in {time.perf_counter() - started:.1f} s")

    total = run.evaluation_count
    middle = nth_id(run.pk, total // 2)
    last = nth_id(run.pk, total - PAGE - 1)  # the 100 evaluations after it are the run's last 100
    second = nth_id(run.pk, PAGE - 1)  # the last id of the first page: where a client walking the run goes next
    deep_failure = nth_id(run.pk, failures * 9 // 10, failed_only=True)
    _, key = api_key_create(user=user, name="bench")

    base = f"/api/v1/runs/{run.pk}/evaluations?"
    cases = [
        Case("GET /runs/{id} (Prefer: return=minimal)", f"/api/v1/runs/{run.pk}", {"Prefer": "return=minimal"}, None),
        Case("evaluations first page", base + urlencode({"page_size": PAGE}), {}, PAGE),
        Case(
            "evaluations second page (after_id = first page's last)",
            base + urlencode({"page_size": PAGE, "after_id": second}),
            {},
            PAGE,
        ),
        Case(
            "evaluations middle page (after_id at 50%)",
            base + urlencode({"page_size": PAGE, "after_id": middle}),
            {},
            PAGE,
        ),
        Case("evaluations last page (after_id)", base + urlencode({"page_size": PAGE, "after_id": last}), {}, PAGE),
        Case(
            "failures first page", base + urlencode({"is_success": "false", "page_size": PAGE}), {}, min(PAGE, failures)
        ),
        Case(
            "failures deep page (after_id at 90%)",
            base + urlencode({"is_success": "false", "page_size": PAGE, "after_id": deep_failure}),
            {},
            min(PAGE, failures - failures * 9 // 10 - 1),
        ),
        Case(
            "metric filter first page (?metric=exact_match)",
            base + urlencode({"metric": "exact_match", "page_size": PAGE}),
            {},
            PAGE,
        ),
        Case("GET /runs?page_size=20", "/api/v1/runs?" + urlencode({"page_size": 20}), {}, 1),
        Case("reference: GET /dataset-types (no run data)", "/api/v1/dataset-types", {}, None, target=False),
    ]

    log = Path(tempfile.gettempdir()) / f"aegis-bench-follow-{os.getpid()}.log"
    served = harness.gunicorn(cwd=options.app_dir, env=dict(os.environ), log=log, key=key, ready_path=READY_PATH)
    with served as server:
        load = os.getloadavg()
        timings = measure(server.port, server.worker, key, cases, warmup=options.warmup, repeat=options.repeat)
        print_table(timings, options.repeat, options.warmup)
        print(f"load average before/after the timings: {load[0]:.2f} / {os.getloadavg()[0]:.2f} (2 CPUs shared)")

    by_label = {case.label.split(" (")[0]: case for case in cases}
    explain_view("failures deep page", by_label["failures deep page"].path, key, url)
    explain_view("middle page", by_label["evaluations middle page"].path, key, url)
    return 0 if all(timing.passed for timing in timings if timing.case.target) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=333_334, help="records; x3 metrics = evaluations")
    parser.add_argument("--missing-golden", type=float, default=0.01, help="share of records with no golden_answer")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--via-service",
        action="store_true",
        help="write the run through run_create_from_dataset(is_blocking=True) instead of COPY (much slower)",
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=ROOT,
        help="the Aegis source tree to load and serve (default: this one), e.g. a copy with a change to compare",
    )
    options = parser.parse_args()
    options.app_dir = options.app_dir.resolve()
    sys.path.insert(0, str(options.app_dir))  # ahead of this tree: nothing of the project is imported yet
    server_url = harness.postgres_server()
    if server_url is None:
        return 2

    harness.unwind_on_sigterm()
    with harness.throwaway_database("aegis_bench_follow", server=server_url) as database:
        try:
            # The same settings in this process (loading, in-process capture) and in gunicorn: as deployed.
            os.environ.pop("REDIS_URL", None)  # request counters in local memory: no Redis to share them with
            environ = {**harness.DEPLOYED, "DATABASE_URL": database.url, "CELERY_BROKER_URL": ""}
            harness.setup_django({**environ, "DJANGO_SETTINGS_MODULE": "aegis.settings"})
            return run_benchmark(options, database.url)
        finally:
            harness.close_django_connections()


if __name__ == "__main__":
    sys.exit(main())
