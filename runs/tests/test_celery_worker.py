"""One end-to-end check of the broker path: a real Redis broker and a real `celery worker` process.

Skipped on SQLite (a separate worker process cannot see the in-memory test database) and when Redis is down.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from kombu import pools as kombu_pools

from aegis.celery import app as celery_app
from datasets.tests.helpers import body
from runs.models import Evaluation, Run
from runs.tests.helpers import dataset_run, make_dataset

REDIS_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
ROWS = 300
PROJECT_DIR = Path(__file__).resolve().parents[2]


def redis_is_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a worker process cannot see a SQLite test DB"),
    pytest.mark.skipif(not redis_is_up(), reason="Redis is not reachable"),
]


def worker_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(settings):
    """A celery worker on its own queue, pointed at this test database; stopped before the DB is flushed."""
    queue = f"runs-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = REDIS_URL
    previous = (celery_app.conf.broker_url, celery_app.conf.task_default_queue)
    celery_app.conf.broker_url = REDIS_URL
    celery_app.conf.task_default_queue = queue
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "LLM_JUDGE_CONCURRENCY": "4",
    }
    command = [sys.executable, "-m", "celery", "-A", "aegis", "worker", "-Q", queue, "-c", "2", "-P", "prefork"]
    process = subprocess.Popen(
        [*command, "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        celery_app.conf.broker_url, celery_app.conf.task_default_queue = previous
        # Close the publisher's pools and forget them, so the next test publishes through fresh ones.
        kombu_pools.reset()
        celery_app._pool = celery_app.amqp._producer_pool = None


def wait_until_finished(run_id: int, worker, timeout: float = 90) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = Run.objects.get(pk=run_id)
        if run.finished_at is not None:
            return run
        if worker.poll() is not None:
            pytest.fail(f"the worker exited early: {worker.stderr.read().decode()[-2000:]}")
        time.sleep(0.25)
    pytest.fail("the run did not finish in time")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_non_blocking_run_is_scored_by_a_celery_worker(alice_api, worker, monkeypatch):
    monkeypatch.setattr("runs.tasks.SLICE_IDS", 100)  # several tasks for a few hundred evaluations
    content = b"output,golden_answer\n" + b"".join(
        f"{i},{i if i % 4 else -1}\n".encode() for i in range(ROWS)
    )  # every 4th row differs
    metrics = {"1": {"threshold": 50, "metric_args": None}, "9": {"threshold": 50, "metric_args": None}}
    dataset = make_dataset(alice_api, content=content, metrics=metrics)

    response = dataset_run(alice_api, dataset["id"])
    assert response.status_code == 201
    assert body(response)["finished_at"] is None

    run = wait_until_finished(body(response)["id"], worker)
    assert run.aggregate_results == {"exact_match": 75.0, "is_numeric": 100.0}
    assert run.result == 87.5
    assert run.is_gte_threshold is True
    assert Evaluation.objects.filter(run=run).count() == 2 * ROWS
    assert not Evaluation.objects.filter(run=run, is_success__isnull=True).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_judged_run_is_scored_by_a_celery_worker_under_the_shared_cap(alice_api, llm_server, worker, monkeypatch):
    from aegis.testing.llm_server import json_reply, schema_filler

    llm_server.responder = lambda request: json_reply(schema_filler(request.schema), delay=0.05)
    monkeypatch.setattr("runs.tasks.SLICE_IDS", 20)  # two worker processes judge slices side by side
    content = b"input,output\n" + b"".join(f"question {i},answer {i}\n".encode() for i in range(60))
    dataset = make_dataset(alice_api, content=content, metrics={"43": {"threshold": 100, "metric_args": None}})

    response = dataset_run(alice_api, dataset["id"])
    assert response.status_code == 201, body(response)
    run = wait_until_finished(body(response)["id"], worker)
    assert run.aggregate_results == {"instr_integ_subv_att": 100.0}
    assert llm_server.request_count == 60
    # The worker reads LLM_JUDGE_CONCURRENCY=4 from its environment; the cap is shared through Redis.
    assert llm_server.max_in_flight <= 4
    assert run.total_cost > 0
