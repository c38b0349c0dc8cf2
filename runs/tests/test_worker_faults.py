"""Faults a broker-backed deployment survives, against real workers, a real beat and real brokers.

- a worker killed mid-slice (SIGKILL to its whole process group): the slice is handed out again, by Redis once
  RUNS_REDELIVERY_S has passed, by RabbitMQ at once, and the run finishes;
- the database connection of a worker lost mid-slice: the slice is retried with backoff and finishes;
- a run saved while the broker was down: celery beat's sweeper queues it and a worker finishes it.

In each case the evaluations written before the fault are not written again.
"""

import re
import time
from datetime import datetime

import pytest
from django.db import connection
from kombu import Connection

from datasets.tests.helpers import body
from runs.models import Evaluation, Run
from runs.tests.helpers import dataset_run, make_dataset
from runs.tests.processes import (
    AMQP_URL,
    REDIS_URL,
    CeleryProcess,
    Publisher,
    delete_queue,
    needs_postgres,
    needs_rabbitmq,
    needs_redis,
    new_queue,
)

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

JUDGED = {"43": {"threshold": 100, "metric_args": None}}  # one judge request per evaluation
ROWS = 32
SLICE = 8
JUDGE_DELAY_S = 0.5
REDELIVERY_S = 10  # the workers' RUNS_REDELIVERY_S here; production's is 120
RESTORE_EVERY_S = 10  # unacked_restore_interval in settings
WORKER_START_S = 120  # a worker imports Django and the project first: seconds, many more on a busy machine


@pytest.fixture
def publisher(settings):
    publisher = Publisher(settings)
    yield publisher
    publisher.restore()


@pytest.fixture
def queue():
    """This test's queue, on whichever broker it uses."""
    name = new_queue()
    yield name
    for url in (REDIS_URL, AMQP_URL):
        delete_queue(url, name)


@pytest.fixture
def processes():
    started: list[CeleryProcess] = []
    yield started
    for process in started:
        process.stop()


def start(processes, kind, broker, tmp_path, queue, **env) -> CeleryProcess:
    process = CeleryProcess(
        kind,
        broker=broker,
        queue=queue,
        log=tmp_path / f"{kind}-{len(processes)}.log",
        env={"LLM_JUDGE_CONCURRENCY": "2", "RUNS_REDELIVERY_S": str(REDELIVERY_S), **env},
    )
    processes.append(process)
    process.wait_ready(timeout=WORKER_START_S)
    return process


def judged_dataset(client) -> dict:
    content = b"input,output\n" + b"".join(f"question {i},answer {i}\n".encode() for i in range(ROWS))
    return make_dataset(client, content=content, metrics=JUDGED)


def wait_for(condition, timeout: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out waiting for {what}")


RECEIVED = re.compile(r"\[([\d-]+ [\d:]+,\d+): INFO/MainProcess\] Task runs\.score_evaluations\[([\w-]+)\] received")


def received(worker: CeleryProcess) -> list[tuple[float, str]]:
    """(when, task id) of each task the worker received, from its log."""
    found = []
    for line in worker.log().splitlines():
        match = RECEIVED.match(line)
        if match:
            at = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            found.append((at, match[2]))
    return found


def ready_messages(url: str, queue: str) -> int:
    """Messages waiting in the queue, not counting those delivered and not yet acknowledged."""
    with Connection(url, connect_timeout=2) as conn:
        return conn.default_channel.queue_declare(queue=queue, passive=True).message_count


def finished(run_id: int) -> bool:
    return Run.objects.filter(pk=run_id, finished_at__isnull=False).exists()


def done_rows(run_id: int) -> dict[int, tuple]:
    rows = Evaluation.objects.filter(run_id=run_id, is_success__isnull=False)
    return {pk: rest for pk, *rest in rows.values_list("pk", "finished_at", "result", "evaluation_cost")}


def assert_scored_once(run_id: int, before: dict[int, tuple]) -> Run:
    run = Run.objects.get(pk=run_id)
    assert Evaluation.objects.filter(run_id=run_id).count() == ROWS
    assert not Evaluation.objects.filter(run_id=run_id, is_success__isnull=True).exists()
    failed = Evaluation.objects.filter(run_id=run_id, is_success=False).values_list("explanation", flat=True)
    assert list(failed) == []
    after = done_rows(run_id)
    # What was written before the fault is untouched: same finish time, score and cost.
    assert {pk: after[pk] for pk in before} == before
    assert run.aggregate_results == {"instr_integ_subv_att": 100.0}
    return run


@pytest.mark.parametrize(
    "broker",
    [pytest.param("redis", marks=needs_redis), pytest.param("amqp", marks=needs_rabbitmq)],
)
def test_a_worker_killed_mid_slice_has_its_slice_handed_out_again(
    broker, alice_api, llm_server, publisher, processes, queue, tmp_path, monkeypatch
):
    from aegis.testing.llm_server import json_reply, schema_filler

    url = REDIS_URL if broker == "redis" else AMQP_URL
    publisher.use(url, queue)
    llm_server.responder = lambda request: json_reply(schema_filler(request.schema), delay=JUDGE_DELAY_S)
    monkeypatch.setattr("runs.tasks.SLICE_IDS", SLICE)
    # The judge cap per process: the Redis-shared one would keep the dead worker's slots taken until their leases
    # expire (minutes), which is the judge layer's business, not the broker's.
    doomed = start(processes, "worker", url, tmp_path, queue, REDIS_URL="")
    run_id = body(dataset_run(alice_api, judged_dataset(alice_api)["id"]))["id"]

    # Inside the first slice: some of its judge calls answered, the rest in flight or not yet asked.
    wait_for(lambda: llm_server.request_count >= 3, 60, "the first slice to be under way")
    waiting = ready_messages(url, queue)
    doomed.kill_hard()
    killed_at = time.time()
    (_, lost_task) = received(doomed)[-1]
    before = done_rows(run_id)
    assert len(before) < SLICE, "the first slice finished before the kill; the test proves nothing"
    if broker == "amqp":
        # RabbitMQ puts the slice back in the queue as soon as the dead worker's connection closes, worker or not.
        wait_for(lambda: ready_messages(url, queue) > waiting, 10, "RabbitMQ to put the slice back")
        print(f"[amqp] the killed slice was back in the queue {time.time() - killed_at:.2f} s after the kill")

    successor = start(processes, "worker", url, tmp_path, queue, REDIS_URL="")
    successor_ready_at = time.time()
    wait_for(lambda: finished(run_id), REDELIVERY_S + RESTORE_EVERY_S + 60, "the run to finish")
    finished_after = time.time() - killed_at
    redelivered_at = dict((task, at) for at, task in received(successor))[lost_task]

    run = assert_scored_once(run_id, before)
    print(
        f"[{broker}] the killed slice was handed to the new worker {redelivered_at - killed_at:.1f} s after the kill"
        f" ({redelivered_at - successor_ready_at:.1f} s after that worker was up); the run finished after"
        f" {finished_after:.1f} s"
    )
    if broker == "redis":
        # Redis hands the slice out at the first restore after the visibility timeout (counted from the delivery,
        # before the kill): a worker restores when it starts and every RESTORE_EVERY_S.
        assert redelivered_at < max(killed_at + REDELIVERY_S + RESTORE_EVERY_S, successor_ready_at) + 5
    else:
        assert redelivered_at < successor_ready_at + 5
    # The dead worker's unwritten evaluations were judged again, nothing else was.
    assert ROWS <= llm_server.request_count <= ROWS + SLICE
    assert run.total_cost == sum(cost for _, _, cost in done_rows(run_id).values())


@needs_redis
def test_a_lost_database_connection_mid_slice_is_retried_with_backoff(
    alice_api, llm_server, publisher, processes, queue, tmp_path, monkeypatch
):
    from aegis.testing.llm_server import json_reply, schema_filler

    publisher.use(REDIS_URL, queue)
    llm_server.responder = lambda request: json_reply(schema_filler(request.schema), delay=JUDGE_DELAY_S)
    monkeypatch.setattr("runs.tasks.SLICE_IDS", SLICE)
    # The judge cache off: a cache read that fails inside a judge call is reported by the judge layer as a failed
    # row, not raised, so the connection is cut here where the slice's own reads and writes see it.
    worker = start(processes, "worker", REDIS_URL, tmp_path, queue, LLM_JUDGE_CACHE="0")
    run_id = body(dataset_run(alice_api, judged_dataset(alice_api)["id"]))["id"]

    wait_for(lambda: llm_server.request_count >= 3, 30, "the first slice to be under way")

    def terminate_the_workers_backends():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            return cursor.fetchall()

    wait_for(terminate_the_workers_backends, 10, "a worker connection to terminate")
    before = done_rows(run_id)

    wait_for(lambda: finished(run_id), 90, "the run to finish")
    assert_scored_once(run_id, before)
    log = worker.log()
    assert "retry: Retry in" in log, log[-3000:]
    assert "OperationalError" in log or "InterfaceError" in log
    assert ROWS <= llm_server.request_count <= ROWS + SLICE


@needs_redis
def test_a_run_saved_while_the_broker_was_down_is_finished_by_the_beat_sweeper(
    alice_api, publisher, processes, queue, tmp_path, caplog
):
    from runs.tests.test_broker_faults import closed_port

    sweep = {"RUNS_SWEEP_EVERY_S": "2", "RUNS_SWEEP_AFTER_S": "1"}
    start(processes, "worker", REDIS_URL, tmp_path, queue, **sweep)
    start(processes, "beat", REDIS_URL, tmp_path, queue, **sweep)
    dataset = make_dataset(alice_api)

    publisher.use(f"redis://127.0.0.1:{closed_port()}/0", queue)
    response = dataset_run(alice_api, dataset["id"])
    saved_at = time.monotonic()
    assert response.status_code == 201, body(response)
    run_id = body(response)["id"]
    assert body(response)["finished_at"] is None
    logged = [record for record in caplog.records if record.name == "runs.tasks"]
    assert [(record.levelname, "could not be queued" in record.getMessage()) for record in logged] == [("ERROR", True)]

    wait_for(lambda: finished(run_id), 60, "the sweeper to queue the run and a worker to finish it")
    print(f"run finished {time.monotonic() - saved_at:.1f} s after it was saved with the broker down")
    run = Run.objects.get(pk=run_id)
    assert run.aggregate_results == {"exact_match": 50.0, "json_equal": 50.0}
    assert not Evaluation.objects.filter(run_id=run_id, is_success__isnull=True).exists()
