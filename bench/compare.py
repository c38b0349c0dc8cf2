"""Benchmark of run-to-run comparison at scale, on PostgreSQL.

    .venv/bin/python bench/compare.py --rows 100000

It creates a throwaway database (`aegis_bench_compare_*`) on the PostgreSQL at DATABASE_URL's server (default
127.0.0.1:5432, user postgres), migrates it, loads a dataset of N records and two finished runs on it with three
metrics each (exact_match pass/fail, bleu and rouge continuous; about 8% of pairs change pass state, 1% fail), the
evaluations written with COPY as the runs service writes them. Then, through the whole stack in process (URL
routing, API-key authentication, the view, JSON rendering), it times:

- GET /runs/compare (the summary: counts, means, pass rates, three bootstrap intervals);
- GET /runs/compare/records: the first page, a page deep in the keyset (`after` near the end), filtered pages
  (`change=regressed` once the summary is read, as a client reads it first, and with nothing cached; `metric` and
  `change`), and an offset page (`page=` in the middle);
- the whole diff as CSV (`Accept: text/csv`), read to the end.

Each is the median of several calls after one warm-up. Targets: summary < 2 s, any page < 100 ms. The database is
dropped at the end, even on failure.
"""

import argparse
import os
import random
import statistics
import sys
import time

import harness  # bench/ is first on sys.path (this script's folder), until the project root is put before it

sys.path.insert(0, str(harness.ROOT))

METRICS = ((1, "exact_match", 100), (5, "bleu", 70), (18, "rouge", 70))
SUMMARY_TARGET_S = 2.0
PAGE_TARGET_S = 0.1


def load(rows: int):
    from django.db import connection

    from accounts.services import api_key_create

    rng = random.Random(7)
    records = [(f"question {i} {rng.random():.6f}", None, None, f"answer {i}", f"gold {i}") for i in range(rows)]
    user, dataset = harness.bench_dataset(
        records, thresholds={i: t for i, _, t in METRICS}, structure=["prompt", "output", "golden_answer"]
    )
    _, key = api_key_create(user=user, name="bench")
    record_ids = list(dataset.records.order_by("id").values_list("id", flat=True))
    base = make_run(user, dataset, "base", record_ids, rng, shift=0.0)
    head = make_run(user, dataset, "head", record_ids, rng, shift=1.5)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return key, dataset, base, head


def make_run(user, dataset, alias, record_ids, rng, *, shift: float, version: int = 1):
    from django.db import connection, transaction
    from django.utils import timezone

    from runs.models import Evaluation, Run

    now = timezone.now()
    count = len(record_ids) * len(METRICS)
    with transaction.atomic():
        run = Run.objects.create(
            user=user,
            author_email=user.email,
            run_type=Run.RunType.DATASET,
            dataset=dataset,
            alias=alias,
            started_at=now,
            finished_at=now,
            metric_count=len(METRICS),
            evaluation_count=count,
            done_count=count,
            **({"dataset_version": version} if hasattr(Run, "dataset_version") else {}),
        )
        columns = (
            "run_id, record_id, record_index, metric_id, metric_shortname, threshold, model_slug, result, "
            "is_success, started_at, finished_at, evaluation_cost"
        )
        table = connection.ops.quote_name(Evaluation._meta.db_table)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for index, record_id in enumerate(record_ids):
                for metric_id, shortname, threshold in METRICS:
                    ok = rng.random() > 0.01
                    if shortname == "exact_match":
                        result = 100.0 if rng.random() < 0.6 + shift / 30 else 0.0
                    else:
                        result = min(100.0, max(0.0, rng.gauss(65 + shift, 18)))
                    copy.write_row(
                        (
                            run.pk,
                            record_id,
                            index,
                            metric_id,
                            shortname,
                            threshold,
                            "gpt-4o",
                            result if ok else None,
                            ok,
                            now,
                            now,
                            0,
                        )
                    )
    return run


def timed(
    client, path, params, *, repeat: int, accept: str | None = None, cold: bool, prime=None
) -> tuple[float, object]:
    """Median of `repeat` calls. `cold`: the comparison cache is emptied before each, so nothing is reused;
    `prime`: then called (untimed), to fill the cache as a client's earlier request would."""
    from django.core.cache import cache

    headers = {"HTTP_ACCEPT": accept} if accept else {}
    times, response = [], None
    for _ in range(repeat):
        if cold:
            cache.clear()
        if prime is not None:
            prime()
        started = time.perf_counter()
        response = client.get(path, params, **headers)
        if response.streaming:
            for _ in response.streaming_content:
                pass
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, params, response.status_code)
    return statistics.median(times), response


def run(args: argparse.Namespace) -> None:
    """Loads the data, times every request and prints the table, in a migrated database."""
    import orjson
    from rest_framework.test import APIClient

    started = time.perf_counter()
    key, dataset, base, head = load(args.rows)
    print(f"loaded {args.rows} records and 2 runs x {len(METRICS)} metrics in {time.perf_counter() - started:.1f} s")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    pair = {"base": base.pk, "head": head.pk}
    client.get("/api/v1/models")  # the first request imports the whole URL configuration
    records = "/api/v1/runs/compare/records"
    ids = list(dataset.records.order_by("id").values_list("id", flat=True))
    results = []

    elapsed, response = timed(client, "/api/v1/runs/compare", pair, repeat=args.repeat, cold=True)
    summary = orjson.loads(response.content)
    results.append(("GET /runs/compare, summary, nothing cached", elapsed, SUMMARY_TARGET_S))
    elapsed, _ = timed(client, "/api/v1/runs/compare", pair, repeat=args.repeat, cold=False)
    results.append(("GET /runs/compare, summary again (cached)", elapsed, None))

    def summary_only():
        client.get("/api/v1/runs/compare", pair)

    pages = [
        ("records, first page of 50, nothing cached", {"page_size": 50}, True),
        ("records, keyset page at the end, nothing cached", {"page_size": 50, "after": ids[-60]}, True),
        ("records, keyset page in the middle", {"page_size": 50, "after": ids[len(ids) // 2]}, True),
        ("records, metric=bleu, nothing cached", {"page_size": 50, "metric": "bleu"}, True),
        ("records, metric=bleu&change=improved", {"page_size": 50, "metric": "bleu", "change": "improved"}, False),
        # The summary a client reads first holds the totals of change= pages: only the summary is cached.
        ("records, change=regressed, first call", {"page_size": 50, "change": "regressed"}, summary_only),
        ("records, change=regressed, nothing cached", {"page_size": 50, "change": "regressed"}, True),
        (
            "records, change=regressed, next page",
            {"page_size": 50, "change": "regressed", "after": ids[len(ids) // 2]},
            False,
        ),
        ("records, offset page in the middle (page=)", {"page_size": 50, "page": len(ids) // 100}, True),
        (
            "records, metric=bleu, offset page in the middle",
            {"page_size": 50, "metric": "bleu", "page": 1000},
            True,
        ),
        # Filtered by change, an offset page counts the filtered records up to it: `after` is the fast way.
        (
            "records, change=regressed, offset page (page=500)",
            {"page_size": 50, "change": "regressed", "page": 500},
            summary_only,
        ),
    ]
    untargeted = ("change=regressed, nothing cached", "change=regressed, offset page (page=500)")
    for name, params, cold in pages:
        if cold is False:
            client.get("/api/v1/runs/compare", pair)  # the summary (or count) these pages reuse, once
            client.get(records, {**pair, **params})
        prime = cold if callable(cold) else None
        elapsed, _ = timed(client, records, {**pair, **params}, repeat=args.repeat, cold=bool(cold), prime=prime)
        # Nothing cached at all, a change= page computes the summary first: a summary's time, not a page's.
        results.append((name, elapsed, None if name.endswith(untargeted) else PAGE_TARGET_S))
    elapsed, response = timed(client, records, pair, repeat=1, accept="text/csv", cold=True)
    results.append(("records as CSV, whole diff read to the end", elapsed, None))

    print()
    for name, seconds, target in results:
        verdict = "" if target is None else ("  ok" if seconds < target else f"  OVER {target * 1000:.0f} ms")
        print(f"{name:<52} {seconds * 1000:9.1f} ms{verdict}")
    print()
    for metric in summary["metrics"]:
        low, high = metric["mean_delta_interval"]
        print(
            f"{metric['metric']:<12} delta {metric['mean_delta']:+.3f} [{low:+.3f}, {high:+.3f}]  "
            f"regressions {metric['regressions']}  improvements {metric['improvements']}  errors {metric['errors']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", harness.LOCAL_SERVER)
    with harness.throwaway_database("aegis_bench_compare", server=server) as database:
        try:
            harness.setup_django(
                {"DATABASE_URL": database.url, "DEBUG": "1", "CELERY_BROKER_URL": "", "THROTTLE_RATE": "0"}
            )
            run(args)
        finally:
            harness.close_django_connections()


if __name__ == "__main__":
    main()
