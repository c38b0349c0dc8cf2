"""Benchmark of a judged dataset run scored by one Celery worker, against the floor its judge calls set.

    .venv/bin/python bench/judge_runs.py                      # 1,000 rows, 200 ms replies, 32 calls in flight
    .venv/bin/python bench/judge_runs.py --rows 250 --delay 0.1 --concurrency 16
    .venv/bin/python bench/judge_runs.py --worker-processes 2    # the README's worker command (--concurrency 2)

Self-contained, loopback only. It creates a throwaway PostgreSQL database (`aegis_bench_judge_*`, on the server of
DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres), migrates it and loads a dataset of N distinct
rows with three judged metrics:

- faith (26): decompose then verify, two judge calls in a row per evaluation (extract claims, then verify them);
- harmfulness (40) and instr_integ_subv_att (43): single-call classifiers.

It starts the loopback LLM server (`python -m aegis.testing.llm_server`, every reply after --delay seconds) and
ONE Celery worker (`celery -A aegis worker -c 1 -P prefork`; `-c` is --worker-processes) on a Redis broker
database of its own (--redis, default redis://127.0.0.1:6379/14, flushed before and after), with
LLM_JUDGE_CONCURRENCY=--concurrency and the judge cache off, so every evaluation calls the server. Then it measures:

- run: from the non-blocking runs.services.run_create_from_dataset call to the run's finished_at;
- floor: the judge calls the server answered (its own count, retries included) x delay / concurrency, i.e. the
  time the calls need when the cap is kept full and nothing else costs anything.

It prints both, their ratio (target: at most 1.3), the most calls the server saw in flight at once (must not
exceed the cap), and the VmRSS of the worker and of its pool child sampled every 0.5 s: at the start, at each
quarter of the evaluations done, the peak and the end (flat: no growth with the rows scored), and how many
scoring tasks (id slices) the worker ran one after the other, from its log. Exit status 0 when the ratio, the
cap and every evaluation hold.

Everything it started is stopped, the database dropped and the Redis database flushed at the end, also on failure
or timeout (--timeout, default 20 x the expected floor + 60 s). The worker's log is kept when the run fails.
"""

import argparse
import contextlib
import os
import random
import re
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import harness  # bench/ is first on sys.path (this script's folder), until the project root is put before it
from harness import children_of, cpu_seconds, free_port, rss_kb, stop

ROOT = harness.ROOT
sys.path.insert(0, str(ROOT))

# The interpreter running this file, so that a snapshot of the tree (one without its own .venv) runs too.
PYTHON = Path(sys.executable)
CELERY = PYTHON.parent / "celery"
PY_SPY = PYTHON.parent / "py-spy"
METRIC_IDS = (26, 40, 43)  # faith, harmfulness, instr_integ_subv_att
# What the loopback server's smallest schema instances lead each recipe to: faith extracts one claim and verifies
# it (two calls), the classifiers call once. Only the floor's sanity check uses this; the floor counts real calls.
EXPECTED_CALLS_PER_ROW = 2 + 1 + 1
TARGET_RATIO = 1.3
SAMPLE_SECONDS = 0.5
POLL_SECONDS = 0.1
TOPICS = ("refund", "invoice", "shipping", "password reset", "warranty", "delivery", "account", "subscription")
DROP_SECONDS = 60


def make_row(index: int, rng: random.Random) -> tuple:
    """(prompt, input, context, output, golden_answer); the index keeps every row distinct."""
    topic = rng.choice(TOPICS)
    question = f"Ticket {index}: how do I get help with my {topic}? Order {rng.randrange(10**6):06d}."
    answer = (
        f"For ticket {index}, open the {topic} page in your account and follow the steps there; "
        f"support answers within {rng.randrange(1, 72)} hours."
    )
    return (None, question, None, answer, None)


# --- the processes ---------------------------------------------------------------------------------------------------


def start(command: list[str], *, env: dict, log: Path, stdout=None) -> subprocess.Popen:
    return harness.start(command, cwd=ROOT, env=env, log=log, stdout=stdout)


def read_line(process: subprocess.Popen, timeout: float) -> str:
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise RuntimeError(f"no output from {process.args[:4]} within {timeout:g} s")
    line = process.stdout.readline().decode().strip()
    if not line:
        raise RuntimeError(f"{process.args[:4]} exited ({process.poll()}) before printing its address")
    return line


def wait_for_worker(worker: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited ({worker.returncode}); see {log}")
        if re.search(r"\bready\.", log.read_text(errors="replace")):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the worker was not ready within {timeout:g} s; see {log}")


def server_summary(log: Path) -> tuple[int, int]:
    """(requests served, most in flight at once), from the line the loopback server prints when it stops."""
    match = re.search(r"served (\d+) requests, at most (\d+) at once", log.read_text(errors="replace"))
    if match is None:
        raise RuntimeError(f"the LLM server printed no summary; see {log}")
    return int(match[1]), int(match[2])


def task_seconds(log: Path, offset: int) -> list[float]:
    """The run times the worker logged for the scoring tasks it finished after `offset` in its log."""
    deadline, size = time.monotonic() + 5, -1
    while time.monotonic() < deadline and size != log.stat().st_size:  # the last task logs just after finished_at
        size = log.stat().st_size
        time.sleep(0.5)
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode(errors="replace")
    return [float(m) for m in re.findall(r"runs\.score_evaluations\[[^]]*\] succeeded in ([0-9.]+)s", text)]


# --- memory ----------------------------------------------------------------------------------------------------------


@dataclass
class Memory:
    """VmRSS samples of the worker's main process and its pool child, by evaluations done."""

    main_pid: int
    samples: list[tuple[float, int, int, int]] = field(default_factory=list)  # (seconds, done, main kB, child kB)
    next_at: float = 0.0

    def sample(self, elapsed: float, done: int, *, force: bool = False) -> None:
        if not force and elapsed < self.next_at:
            return
        self.next_at = elapsed + SAMPLE_SECONDS
        child = max((rss_kb(pid) for pid in children_of(self.main_pid)), default=0)
        self.samples.append((elapsed, done, rss_kb(self.main_pid), child))

    def report(self, total: int) -> list[str]:
        if not self.samples:
            return []
        lines = [f"{'worker VmRSS':<20}{'main':>8}{'pool child':>12}   (sampled every {SAMPLE_SECONDS:g} s)"]

        def line(label: str, sample) -> str:
            at, done, main, child = sample
            return f"  {label:<18}{main / 1024:6.0f} MB{child / 1024:9.0f} MB   at {at:6.1f} s, {done:,} done"

        lines.append(line("start", self.samples[0]))
        for quarter in (1, 2, 3):
            reached = next((s for s in self.samples if s[1] >= total * quarter / 4), None)
            if reached is not None:
                lines.append(line(f"{quarter}/4 done", reached))
        lines.append(line("end", self.samples[-1]))
        peak_main = max(s[2] for s in self.samples)
        peak_child = max(s[3] for s in self.samples)
        lines.append(f"  {'peak':<18}{peak_main / 1024:6.0f} MB{peak_child / 1024:9.0f} MB")
        return lines


# --- database --------------------------------------------------------------------------------------------------------


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def load_dataset(rows: int):
    from django.db import connection

    from metrics import registry

    rng = random.Random(7)
    user, dataset = harness.bench_dataset(  # its user has no credit limit: the bench measures judging
        (make_row(i, rng) for i in range(rows)),
        thresholds={i: registry.get(i).default_threshold for i in METRIC_IDS},
        structure=["input", "output"],
        name="bench-judged",
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE datasets_record")
    return user, dataset


# --- the measurement -------------------------------------------------------------------------------------------------


@dataclass
class Result:
    created: float
    seconds: float
    served: int
    max_in_flight: int
    floor: float
    succeeded: int
    failed: int
    first_failure: str | None
    recorded_calls: int
    cpu: dict[str, float]
    memory: Memory
    tasks: list[float]  # seconds of each score_evaluations task (slice) the worker finished during the run

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor if self.floor else float("inf")


def start_server(options, env: dict, port: int, log: Path, lifetime: float) -> subprocess.Popen:
    server = start(
        [str(PYTHON), "-m", "aegis.testing.llm_server", "--port", str(port), "--delay", str(options.delay)]
        + ["--lifetime", str(lifetime)],  # a safety net should this process vanish without stopping it
        env=env,
        log=log,
        stdout=subprocess.PIPE,
    )
    return server


def start_worker(env: dict, log: Path, processes: int) -> subprocess.Popen:
    worker = start(
        [str(CELERY), "-A", "aegis", "worker", "-c", str(processes), "-P", "prefork"]
        + ["-n", f"bench-judge-{os.getpid()}@%h"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
        env=env,
        log=log,
    )
    return worker


def one_run(options, env, *, user, dataset, worker, port: int, workdir: Path, timeout: float) -> Result:
    """One non-blocking run of the whole dataset, against a fresh LLM server (so its counts are this run's)."""
    from django.db.models import Count, Q

    from runs.models import Evaluation, Run
    from runs.services import run_create_from_dataset

    evaluations = options.rows * len(METRIC_IDS)
    server_log = workdir / "llm_server.log"
    server = start_server(options, env, port, server_log, timeout + 120)
    try:
        read_line(server, 30)  # its base URL, printed once it listens
        memory = Memory(worker.pid)
        memory.sample(0.0, 0, force=True)
        pool = children_of(worker.pid) or [worker.pid]
        watched = {"worker pool child": pool, "LLM server": [server.pid]}  # CPU of a pool: all its children
        cpu_before = {name: sum(map(cpu_seconds, pids)) for name, pids in watched.items()}
        log_offset = (workdir / "worker.log").stat().st_size
        # py-spy records the pool child with --profile: idle frames included, so waits show too.
        with harness.py_spy(PY_SPY, pool[0], options.profile, rate=100, idle=True):
            started_wall, started = time.time(), time.monotonic()
            run = run_create_from_dataset(user=user, dataset_id=dataset.pk, is_blocking=False)
            created = time.monotonic() - started
            done = 0
            while True:
                elapsed = time.monotonic() - started
                if worker.poll() is not None:
                    raise RuntimeError(f"the worker exited ({worker.returncode}) mid-run")
                finished_at = Run.objects.filter(pk=run.pk).values_list("finished_at", flat=True).first()
                if finished_at is not None:
                    break
                if elapsed > timeout:
                    raise RuntimeError(
                        f"the run did not finish within {timeout:.0f} s ({done:,} of {evaluations:,} done)"
                    )
                done = Evaluation.objects.filter(run_id=run.pk, is_success__isnull=False).count()
                memory.sample(elapsed, done)
                time.sleep(POLL_SECONDS)
            seconds = finished_at.timestamp() - started_wall
            memory.sample(time.monotonic() - started, evaluations, force=True)
            cpu = {name: sum(map(cpu_seconds, pids)) - cpu_before[name] for name, pids in watched.items()}

        stop(server, grace=10, group=True)
        served, max_in_flight = server_summary(server_log)
        outcomes = Evaluation.objects.filter(run_id=run.pk)
        counts = outcomes.aggregate(
            ok=Count("id", filter=Q(is_success=True)), failed=Count("id", filter=Q(is_success=False))
        )
        return Result(
            created=created,
            seconds=seconds,
            served=served,
            max_in_flight=max_in_flight,
            floor=served * options.delay / options.concurrency,
            succeeded=counts["ok"],
            failed=counts["failed"],
            first_failure=outcomes.filter(is_success=False).values_list("explanation", flat=True).first(),
            recorded_calls=sum(
                len(((meta or {}).get("judge") or {}).get("calls") or [])
                for meta in outcomes.values_list("eval_metadata", flat=True)
            ),
            cpu=cpu,
            tasks=task_seconds(workdir / "worker.log", log_offset),
            memory=memory,
        )
    finally:
        stop(server, grace=10, group=True)


def report(options, results: list[Result]) -> bool:
    evaluations = options.rows * len(METRIC_IDS)
    print(
        f"rows               {options.rows:,} x {len(METRIC_IDS)} judged metrics (faith, harmfulness, "
        f"instr_integ_subv_att) = {evaluations:,} evaluations"
    )
    print(
        f"judge              loopback, {options.delay * 1000:g} ms per reply, LLM_JUDGE_CONCURRENCY="
        f"{options.concurrency}, cache off, 1 Celery worker (prefork, -c {options.worker_processes})"
    )
    print(f"load average       {' '.join(f'{load:.2f}' for load in os.getloadavg())} (1, 5, 15 min) at the end")
    for number, result in enumerate(results, start=1):
        samples = result.memory.samples
        print(
            f"  run {number}: {result.seconds:6.2f} s  ratio {result.ratio:4.2f}  calls {result.served:,}  "
            f"max in flight {result.max_in_flight}  worker CPU {result.cpu['worker pool child']:.1f} s  "
            f"pool child RSS {samples[0][3] / 1024:.0f} -> {samples[-1][3] / 1024:.0f} MB "
            f"(peak {max(s[3] for s in samples) / 1024:.0f})"
        )
    best = min(results, key=lambda result: result.seconds)
    if len(results) > 1:
        print(f"best of {len(results)}")
    print(
        f"evaluations        {best.succeeded:,} succeeded, {best.failed:,} failed"
        + (f" (first: {best.first_failure})" if best.first_failure else "")
    )
    print(
        f"judge calls        {best.served:,} answered by the server ({best.served / options.rows:.2f} per row), "
        f"{best.recorded_calls:,} recorded on the evaluations"
    )
    print(f"create (returns)   {best.created:8.2f} s")
    print(f"run                {best.seconds:8.2f} s   create -> finished_at")
    calls = f"{best.served:,} calls x {options.delay:g} s / {options.concurrency}"
    print(f"floor              {best.floor:8.2f} s   {calls}")
    print(f"ratio              {best.ratio:8.2f}    target <= {TARGET_RATIO}")
    worst_in_flight = max(result.max_in_flight for result in results)
    print(f"max in flight      {worst_in_flight:8d}    cap {options.concurrency} (the most any run reached)")
    if best.tasks:
        print(
            f"slices             {len(best.tasks)} score_evaluations tasks, one at a time: "
            f"{min(best.tasks):.2f} to {max(best.tasks):.2f} s, {sum(best.tasks):.2f} s in all"
        )
    for name, seconds in best.cpu.items():
        print(f"CPU, {name:<18}{seconds:6.2f} s   ({100 * seconds / best.seconds:.0f}% of one core over the run)")
    if options.profile:
        print(f"profile            {options.profile} (py-spy, raw collapsed stacks of the pool child, last run)")
    for line in best.memory.report(evaluations):
        print(line)
    return (
        best.ratio <= TARGET_RATIO
        and worst_in_flight <= options.concurrency
        and all(result.failed == 0 for result in results)
    )


def measure(options, env: dict, workdir: Path) -> int:
    user, dataset = load_dataset(options.rows)
    expected_floor = options.rows * EXPECTED_CALLS_PER_ROW * options.delay / options.concurrency
    timeout = options.timeout or 20 * expected_floor + 60
    port = free_port()
    # The worker reads the judge's address once, at start; every run's server listens there.
    env["OPENAI_BASE_URL"] = os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{port}/v1"
    worker_log, server_log = workdir / "worker.log", workdir / "llm_server.log"
    worker = None
    ok = False
    try:
        worker = start_worker(env, worker_log, options.worker_processes)
        wait_for_worker(worker, worker_log)
        context = {"user": user, "dataset": dataset, "worker": worker, "port": port, "workdir": workdir}
        results = [one_run(options, env, timeout=timeout, **context) for _ in range(options.repeat)]
        ok = report(options, results)
        return 0 if ok else 1
    finally:
        stop(worker, grace=15, group=True)
        if ok:
            worker_log.unlink(missing_ok=True)
            server_log.unlink(missing_ok=True)
        else:
            print(f"logs kept: {worker_log} {server_log}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the LLM server waits before each reply")
    parser.add_argument("--concurrency", type=int, default=32, help="LLM_JUDGE_CONCURRENCY")
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=1,
        help="the worker's --concurrency: pool children scoring slices side by side, under the one shared cap",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="broker and limiter; FLUSHED")
    parser.add_argument("--repeat", type=int, default=1, help="score the dataset this many times; keep the best")
    parser.add_argument("--timeout", type=float, default=None, help="give up on a run after this many seconds")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="record a py-spy profile of the pool child during the run into FILE (.venv/bin/pip install py-spy)",
    )
    options = parser.parse_args()
    if options.profile and not PY_SPY.exists():
        parser.error(f"--profile needs py-spy: {PYTHON.parent / 'pip'} install py-spy")
    if options.profile:
        options.profile = str(Path(options.profile).resolve())
    # Importing Celery puts the working directory first on sys.path: run from the tree this file belongs to, so
    # a snapshot run from elsewhere never mixes in the modules of the directory it was started from.
    os.chdir(ROOT)
    server_url = harness.postgres_server()
    if server_url is None:
        return 2

    harness.unwind_on_sigterm()
    flush_redis(options.redis)
    try:
        with harness.throwaway_database("aegis_bench_judge", server=server_url, drop_timeout=DROP_SECONDS) as database:
            workdir = Path(tempfile.mkdtemp(prefix="aegis-bench-judge-"))
            try:
                env = {
                    **os.environ,
                    "DEBUG": "0",  # as deployed: DEBUG would also keep every query in memory and inflate the RSS
                    "SECRET_KEY": "bench-only",
                    "DATABASE_URL": database.url,
                    "CELERY_BROKER_URL": options.redis,
                    "REDIS_URL": options.redis,
                    "LLM_JUDGE_CONCURRENCY": str(options.concurrency),
                    "LLM_JUDGE_CACHE": "0",
                    "OPENAI_API_KEY": "sk-bench-loopback",
                }
                env.pop("ANTHROPIC_BASE_URL", None)
                harness.setup_django(env)
                return measure(options, env, workdir)
            finally:
                harness.close_django_connections()
                with contextlib.suppress(OSError):
                    workdir.rmdir()  # only when empty: kept logs stay
    finally:
        flush_redis(options.redis)


if __name__ == "__main__":
    sys.exit(main())
