"""A real Celery worker scores structural evaluations under METRIC_TIMEOUT_S and METRIC_MEMORY_MB, in evaluator
processes that never outlive the pool process that started them.

- a hostile structural evaluation (past the time limit, past the memory ceiling) fails alone with its reason,
  the rest of the run is scored, judged evaluations slower than the structural limit are not cut, and the same
  pool process goes on;
- a pool process killed in the middle of a long evaluation takes its fork server and evaluators with it;
- pool processes recycled by max-tasks-per-child leave no evaluator, fork server or zombie behind.
"""

import os
import signal
import time
from pathlib import Path

import pytest

from datasets.tests.helpers import body
from runs.models import Evaluation, Run
from runs.tests.helpers import custom_run
from runs.tests.processes import (
    REDIS_URL,
    CeleryProcess,
    Publisher,
    delete_queue,
    needs_postgres,
    needs_redis,
    new_queue,
)
from runs.tests.test_worker_faults import finished, start, wait_for

pytestmark = [needs_postgres, needs_redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HOSTILE_CHARS = 400_000  # far past any honest answer, inside the upload and cell limits
LONG_CHARS = 950_000  # just inside MAX_CELL_CHARS: about 1.2 s of text_readability on a quiet, fast machine
JUDGE_DELAY_S = 1.5
FORK_SERVER = "from multiprocessing.forkserver import main"


def words(count_chars: int) -> str:
    return " ".join(f"w{index % 997}x{index % 13}" for index in range(count_chars // 8))[:count_chars]


def row(output: str, golden: str | None = None) -> dict:
    return {
        "prompt": "Answer in one sentence.",
        "input": "What is the capital of France?",
        "context": None,
        "output": output,
        "golden_answer": golden if golden is not None else output,
    }


@pytest.fixture
def queue(settings):
    """A queue of this test's own on Redis, which the runs it creates are published to."""
    publisher, name = Publisher(settings), new_queue()
    publisher.use(REDIS_URL, name)
    yield name
    publisher.restore()
    delete_queue(REDIS_URL, name)


@pytest.fixture
def processes():
    started: list[CeleryProcess] = []
    yield started
    for process in started:
        process.stop()


# The worker's processes, from /proc.


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def state(pid: int) -> str | None:
    """The process's state letter (R, S, Z, ...), None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_members(pgid: int) -> dict[int, str]:
    """pid -> state of every process in the process group, zombies included."""
    members = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                members[int(entry.name)] = fields[0]
    return members


def pool_process(worker: CeleryProcess) -> int:
    (pid,) = wait_for(lambda: children(worker.pid) or None, 30, "the worker's pool process")
    return pid


def evaluators(pool_pid: int) -> tuple[int | None, list[int]]:
    """(fork server, its evaluators) under a pool process."""
    for child in children(pool_pid):
        if FORK_SERVER in command_line(child):
            return child, children(child)
    return None, []


def started_evaluators(pool_pid: int) -> tuple[int, list[int]] | None:
    fork_server, forked = evaluators(pool_pid)
    return (fork_server, forked) if forked else None


def assert_worker_lived_on(worker: CeleryProcess, pool_pid: int) -> None:
    assert worker.alive(), worker.log()[-3000:]
    assert children(worker.pid) == [pool_pid], "the pool process was replaced"
    assert "WorkerLostError" not in worker.log()


@pytest.mark.parametrize(
    "limits, hostile_metric, reason",
    [
        ({"METRIC_TIMEOUT_S": "0.1"}, "text_readability", "text_readability: timed out after 0.1 s"),
        (
            {"METRIC_TIMEOUT_S": "30", "METRIC_MEMORY_MB": "32"},
            {"metric": "rouge", "metric_args": {"rouge_type": "L"}},
            "rouge: input is too large to evaluate",
        ),
    ],
    ids=["past-the-time-limit", "past-the-memory-ceiling"],
)
def test_a_hostile_structural_evaluation_fails_alone_and_the_worker_lives_on(
    limits, hostile_metric, reason, alice_api, llm_server, processes, queue, tmp_path
):
    from aegis.testing.llm_server import json_reply, schema_filler

    llm_server.responder = lambda request: json_reply(schema_filler(request.schema), delay=JUDGE_DELAY_S)
    worker = start(processes, "worker", REDIS_URL, tmp_path, queue, REDIS_URL="", **limits)
    pool_pid = pool_process(worker)
    honest = [row("The capital of France is Paris.", "Paris is the capital of France.") for _ in range(3)]
    structural = [{"metric": "rouge", "metric_args": {"rouge_type": "L"}}, "text_readability", "exact_match"]

    response = custom_run(
        alice_api,
        is_blocking=False,
        evaluations=[
            {"metrics": structural, "data": honest},
            {"metrics": [hostile_metric], "data": [row(words(HOSTILE_CHARS), words(HOSTILE_CHARS)[::-1])]},
            {"metrics": ["instr_integ_subv_att"], "data": honest},  # judged: each answer takes 1.5 s
        ],
    )
    assert response.status_code == 201, body(response)
    run_id = body(response)["id"]
    wait_for(lambda: finished(run_id), 120, "the run to finish")

    failed = Evaluation.objects.filter(run_id=run_id, is_success=False).values_list("explanation", flat=True)
    assert list(failed) == [reason]
    assert Evaluation.objects.filter(run_id=run_id, is_success=True).count() == 3 * 3 + 3
    judged = Evaluation.objects.filter(run_id=run_id, metric_shortname="instr_integ_subv_att", is_success=True)
    assert judged.count() == 3
    assert Run.objects.get(pk=run_id).failed_count == 1
    assert_worker_lived_on(worker, pool_pid)

    # And it goes on scoring: a second run on the same pool process.
    second = body(custom_run(alice_api, is_blocking=False, evaluations=[{"metrics": structural, "data": honest}]))
    wait_for(lambda: finished(second["id"]), 60, "the second run to finish")
    assert Evaluation.objects.filter(run_id=second["id"], is_success=True).count() == 9
    assert_worker_lived_on(worker, pool_pid)


def test_a_pool_process_killed_mid_evaluation_takes_its_evaluators_with_it(alice_api, processes, queue, tmp_path):
    # Time enough for the long evaluation below to be still running when its pool process is killed.
    worker = start(processes, "worker", REDIS_URL, tmp_path, queue, METRIC_TIMEOUT_S="120")
    pool_pid = pool_process(worker)
    long_text = row(words(LONG_CHARS))  # text_readability needs over a second on this, warm, on a fast machine
    custom_run(alice_api, is_blocking=False, evaluations=[{"metrics": ["text_readability"], "data": [long_text]}])

    fork_server, started = wait_for(lambda: started_evaluators(pool_pid), 60, "the evaluators to start")
    busy = wait_for(
        lambda: next((pid for pid in started if cpu_seconds(pid) > 0.3), None), 60, "an evaluator to be scoring"
    )
    os.kill(pool_pid, signal.SIGKILL)
    killed_at = time.monotonic()

    left = [fork_server, *started]
    wait_for(lambda: all(state(pid) in (None, "Z") for pid in left), 3, "the fork server and evaluators to end")
    print(f"evaluator {busy} (busy) and the fork server ended {time.monotonic() - killed_at:.2f} s after the kill")
    assert worker.alive()
    wait_for(lambda: children(worker.pid) and children(worker.pid) != [pool_pid], 30, "a new pool process")
    worker.kill_hard()  # the new pool process scores the long row again: no need to wait for it


def test_recycled_pool_processes_leave_nothing_behind(alice_api, processes, queue, tmp_path, monkeypatch):
    monkeypatch.setattr("runs.tasks.SLICE_IDS", 2)
    # Celery's command line reads the option from the environment (CELERY_WORKER_<OPTION>).
    worker = start(processes, "worker", REDIS_URL, tmp_path, queue, CELERY_WORKER_MAX_TASKS_PER_CHILD="1")
    rows = [row(f"The capital of France is Paris, answer {index}.", "Paris.") for index in range(12)]
    run_id = body(custom_run(alice_api, is_blocking=False, evaluations=[{"metrics": ["rouge"], "data": rows}]))["id"]

    fork_servers: set[int] = set()
    pool_processes: set[int] = set()

    def done_and_watched() -> bool:
        for pool_pid in children(worker.pid):
            pool_processes.add(pool_pid)
            fork_server, _ = evaluators(pool_pid)
            if fork_server:
                fork_servers.add(fork_server)
        return finished(run_id)

    wait_for(done_and_watched, 120, "the run to finish", every=0.02)
    assert not Evaluation.objects.filter(run_id=run_id, is_success=False).exists()
    assert len(pool_processes) >= 3 and len(fork_servers) >= 2, "pool processes were not recycled with evaluators"

    def only_the_worker_is_left() -> bool:
        # The worker and its one pool process, alive; a pool process being recycled is a zombie for a moment.
        members = group_members(worker.pid)
        return len(members) == 2 and set(members) == {worker.pid, *children(worker.pid)} and "Z" not in members.values()

    wait_for(only_the_worker_is_left, 20, "the recycled pool processes' evaluators to be gone")
    assert all(state(pid) is None for pid in fork_servers), "a fork server was left unreaped"
    print(f"{len(pool_processes)} pool processes, {len(fork_servers)} fork servers, none left behind")
