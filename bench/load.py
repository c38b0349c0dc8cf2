"""Load test: concurrent clients against gunicorn on PostgreSQL, DEBUG off, over real HTTP on loopback.

    .venv/bin/python bench/load.py                           # 2 minutes, 20 clients, 2 workers, the settings (pool)
    .venv/bin/python bench/load.py --db per-request          # one database connection per request
    .venv/bin/python bench/load.py --db persistent           # CONN_MAX_AGE=600 with health checks
    .venv/bin/python bench/load.py --db pool --duration 30   # psycopg's pool, a shorter run

Self-contained: a throwaway database (`aegis_bench_load_*`) on the PostgreSQL at 127.0.0.1:5432 (user postgres,
trust), migrated, with one user and API key per client and a 1,000-row dataset each; gunicorn (sync workers) on a
free loopback port with request throttling off (it would turn load into 429s) and no broker (blocking runs score
in the request). Everything is removed at the end, also on failure.

Each client loops until the time is up, one request at a time, picking by weight:

    create   POST /api/v1/datasets, a 1,000-row CSV, Prefer: return=minimal
    list     GET  /api/v1/datasets?page_size=20
    read     GET  /api/v1/datasets/{id}, Prefer: return=minimal
    metrics  GET  /api/v1/metrics
    run      POST /api/v1/runs/custom, blocking, 5 rows x exact_match and word_ct_match

It prints per request type the count, the non-2xx and 5xx counts and p50/p95/p99 latency; the workers' memory
(VmRSS) at the start and the end; the most database connections open at once (pg_stat_activity, sampled every
0.1 s) and the connections opened during the run (pg_stat_database.sessions). It exits 1 on any 5xx or
transport error.
"""

import argparse
import csv
import io
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import harness
import psycopg
from harness import ADMIN_DSN, Reply, children_of, request

WEIGHTS = {"create": 1, "list": 3, "read": 3, "metrics": 2, "run": 1}
DB_MODES = {
    "per-request": {"DB_POOL": "0", "DB_CONN_MAX_AGE": "0"},
    "persistent": {"DB_POOL": "0", "DB_CONN_MAX_AGE": "600", "DB_CONN_HEALTH_CHECKS": "1"},
    "pool": {"DB_POOL": "1"},
}
SELECTED_METRICS = json.dumps({"1": {"threshold": 70, "metric_args": None}})
WORDS = ("refund", "order", "policy", "customer", "invoice", "answer", "model", "café", "naïve", "summary")


def dataset_csv(rows: int, seed: int) -> bytes:
    rng = random.Random(seed)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["prompt", "output", "golden_answer"])
    for row in range(rows):
        answer = " ".join(rng.choices(WORDS, k=6))
        writer.writerow([f"#{row} " + " ".join(rng.choices(WORDS, k=12)), answer, answer if row % 3 else "other"])
    return text.getvalue().encode()


# --- HTTP ----------------------------------------------------------------------------------------------------------


@dataclass
class Client:
    """One simulated user: its key, its datasets, a seeded random choice of the next request."""

    index: int
    key: str
    port: int
    csv: bytes
    dataset_ids: list[int] = field(default_factory=list)
    created: int = 0

    def create(self) -> Reply:
        self.created += 1
        name = f"client {self.index} set {self.created}"
        content_type, head, tail = harness.multipart_framing(
            {"selected_metrics": SELECTED_METRICS, "name": name}, "set.csv"
        )
        body = head + self.csv + tail
        headers = {"Content-Type": content_type, "Prefer": "return=minimal"}
        reply = request(self.port, "POST", "/api/v1/datasets", key=self.key, body=body, headers=headers)
        if reply.status == 201:
            self.dataset_ids.append(json.loads(reply.body)["id"])
        return reply

    def list(self) -> Reply:
        return request(self.port, "GET", "/api/v1/datasets?page_size=20", key=self.key)

    def read(self, rng: random.Random) -> Reply:
        path = f"/api/v1/datasets/{rng.choice(self.dataset_ids)}"
        return request(self.port, "GET", path, key=self.key, headers={"Prefer": "return=minimal"})

    def metrics(self) -> Reply:
        return request(self.port, "GET", "/api/v1/metrics", key=self.key)

    def run(self, rng: random.Random) -> Reply:
        rows = [{"output": rng.choice(WORDS), "golden_answer": rng.choice(WORDS)} for _ in range(5)]
        payload = {
            "alias": f"load {self.index} {uuid.uuid4().hex[:12]}",
            "is_blocking": True,
            "evaluations": [{"metrics": ["exact_match", "word_ct_match"], "data": rows}],
        }
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Prefer": "return=minimal"}
        return request(self.port, "POST", "/api/v1/runs/custom", key=self.key, body=body, headers=headers)

    def loop(self, deadline: float, results: list, seed: int) -> None:
        rng = random.Random(seed)
        kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            try:
                if kind == "create":
                    reply = self.create()
                elif kind == "list":
                    reply = self.list()
                elif kind == "read":
                    reply = self.read(rng)
                elif kind == "metrics":
                    reply = self.metrics()
                else:
                    reply = self.run(rng)
            except OSError as exc:
                results.append((kind, 0, 0.0, repr(exc)))
                continue
            detail = reply.body[:300].decode("utf-8", "replace") if reply.status >= 300 else ""
            results.append((kind, reply.status, reply.seconds, detail))


# --- Server and database -------------------------------------------------------------------------------------------


def server_env(database_url: str, db_mode: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        **harness.DEPLOYED,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "THROTTLE_RATE": "0",
        "THROTTLE_CREATE_RATE": "0",
        "LOG_LEVEL": "WARNING",
    }
    if db_mode is not None:
        env.update(DB_MODES[db_mode])
    return env


def make_users(env: dict[str, str], count: int) -> list[str]:
    """Migrates, then creates `count` users with an API key each; returns the raw keys."""
    harness.manage(env, "migrate", "--noinput")
    script = (
        "from accounts.models import User\n"
        "from accounts.services import api_key_create\n"
        f"for index in range({count}):\n"
        "    user = User.objects.create_user(email=f'load{index}@bench.test', password='x')\n"
        "    print(api_key_create(user=user, name='load')[1])\n"
    )
    return [line for line in harness.manage(env, "shell", "-c", script).split() if line.startswith("sk_")]


def rss_mb(pid: int) -> float:
    return harness.rss_kb(pid) / 1024


class ConnectionWatch:
    """The most backends open at once on the database, and the sessions opened, from another connection."""

    def __init__(self, database: str):
        self.database = database
        self.peak = 0
        self._stop = threading.Event()
        self._db = psycopg.connect(ADMIN_DSN, autocommit=True)
        self.sessions_at_start = self.sessions()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def open_now(self) -> int:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        return self._db.execute(query, (self.database,)).fetchone()[0]

    def sessions(self) -> int:
        self._db.execute("SELECT pg_stat_clear_snapshot()")
        query = "SELECT sessions FROM pg_stat_database WHERE datname = %s"
        return self._db.execute(query, (self.database,)).fetchone()[0]

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.open_now())
            self._stop.wait(0.1)

    def stop(self) -> int:
        """Stops sampling; returns the sessions opened since the start."""
        self._stop.set()
        self._thread.join()
        opened = self.sessions() - self.sessions_at_start
        self._db.close()
        return opened


# --- Report --------------------------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def report(results: list, duration: float) -> int:
    by_kind = defaultdict(list)
    for kind, status, seconds, detail in results:
        by_kind[kind].append((status, seconds, detail))
    print(f"{'request':<9} {'count':>6} {'non-2xx':>8} {'5xx':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    failures = 0
    for kind in WEIGHTS:
        rows = by_kind.get(kind, [])
        if not rows:
            continue
        times = [seconds * 1000 for _, seconds, _ in rows]
        bad = [row for row in rows if not 200 <= row[0] < 300]
        errors = [row for row in rows if row[0] >= 500 or row[0] == 0]
        failures += len(errors)
        p50, p95, p99 = (percentile(times, q) for q in (0.50, 0.95, 0.99))
        print(f"{kind:<9} {len(rows):>6} {len(bad):>8} {len(errors):>5} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f}")
        for status, _, detail in bad[:3]:
            print(f"          e.g. {status}: {detail}")
    all_times = [seconds * 1000 for _, _, seconds, _ in results]
    print(
        f"{'all':<9} {len(results):>6} {'':>8} {failures:>5} {statistics.median(all_times):>8.0f} "
        f"{percentile(all_times, 0.95):>8.0f} {percentile(all_times, 0.99):>8.0f}"
    )
    print(f"throughput: {len(results) / duration:.1f} requests/s over {duration:.0f} s")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load (default 120)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rows", type=int, default=1000, help="rows of each created dataset")
    parser.add_argument("--db", choices=sorted(DB_MODES), help="database connections (default: the settings' own)")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()

    with ExitStack() as cleanup:
        database = cleanup.enter_context(harness.throwaway_database("aegis_bench_load"))
        env = server_env(database.url, args.db)
        keys = make_users(env, args.clients)
        log = Path(tempfile.gettempdir()) / f"{database.name}.gunicorn.log"
        served = harness.gunicorn(
            cwd=harness.ROOT, env=env, log=log, key=keys[0], workers=args.workers, options=("--backlog", "256")
        )
        server = cleanup.enter_context(served)
        port, master = server.port, server.master
        content = dataset_csv(args.rows, args.seed)
        clients = [Client(index, key, port, content) for index, key in enumerate(keys)]
        for client in clients:  # every client reads its own data from the first second
            reply = client.create()
            if reply.status != 201:
                raise RuntimeError(f"seed upload: HTTP {reply.status}: {reply.body[:500]!r}")
        workers = server.workers
        memory_start = [rss_mb(pid) for pid in workers]
        mode = args.db or f"settings (DB_POOL={os.environ.get('DB_POOL', 'default')})"
        print(f"{args.clients} clients, {args.workers} gunicorn workers, {args.duration:.0f} s, database: {mode}")

        watch = ConnectionWatch(database.name)
        results: list = []
        deadline = time.monotonic() + args.duration
        threads = [
            threading.Thread(target=client.loop, args=(deadline, results, args.seed * 1000 + client.index))
            for client in clients
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        opened = watch.stop()
        memory_end = [rss_mb(pid) for pid in children_of(master.pid)]

        failures = report(results, elapsed)
        print(
            "worker memory (VmRSS MB), start -> end: "
            + ", ".join(f"{start:.0f} -> {end:.0f}" for start, end in zip(memory_start, memory_end, strict=False))
        )
        print(f"database connections: peak open {watch.peak}, opened during the run {opened}")
        if children_of(master.pid) != workers:
            print("a gunicorn worker was replaced during the run", file=sys.stderr)
            failures += 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
