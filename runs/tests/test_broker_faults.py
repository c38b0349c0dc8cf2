"""A broker that is down or hung never turns a saved run into an error, and nothing is scored twice.

The creates here publish for real: to a closed loopback port (connection refused) or to a listener that accepts
connections and never answers, under both the Redis and the AMQP transports. No worker runs, so they need neither
PostgreSQL nor a broker; the lease and sweeper tests that do are marked.
"""

import socket
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from aegis.celery import app as celery_app
from datasets.tests.helpers import body
from runs import tasks
from runs.models import Evaluation, Run
from runs.tests.helpers import dataset_run, make_dataset
from runs.tests.processes import REDIS_URL, Publisher, delete_queue, needs_postgres, needs_redis, new_queue

CREATE_BOUND_S = 6  # a create waits on the broker at most about two seconds, twice (one reconnect)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SilentBroker:
    """Accepts TCP connections and never sends a byte."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self._stop.set()
        self._thread.join()
        self.server.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def publisher(settings):
    publisher = Publisher(settings)
    yield publisher
    publisher.restore()


@pytest.fixture
def silent_broker():
    broker = SilentBroker()
    yield broker
    broker.close()


def broker_url(scheme: str, port: int) -> str:
    return f"redis://127.0.0.1:{port}/0" if scheme == "redis" else f"amqp://guest:guest@127.0.0.1:{port}//"


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["redis", "amqp"])
@pytest.mark.parametrize("fault", ["refused", "silent"])
def test_a_create_with_the_broker_unreachable_answers_201_with_the_run_pending(
    scheme, fault, alice_api, publisher, silent_broker, caplog, django_capture_on_commit_callbacks
):
    dataset = make_dataset(alice_api)
    publisher.use(broker_url(scheme, closed_port() if fault == "refused" else silent_broker.port), new_queue())

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = dataset_run(alice_api, dataset["id"])
    elapsed = time.monotonic() - started

    assert response.status_code == 201, body(response)
    run = body(response)
    assert run["finished_at"] is None
    assert all(evaluation["is_success"] is None for evaluation in run["evaluations"])
    assert elapsed < CREATE_BOUND_S, f"the create waited {elapsed:.1f} s on the broker"
    if fault == "silent":
        assert silent_broker.accepted, "the client never reached the silent broker"
    errors = [record for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")]
    assert [record.name for record in errors] == ["runs.tasks"]
    assert f"Run {run['id']} is saved but could not be queued" in errors[0].getMessage()
    assert errors[0].exc_info is None  # one line, not a traceback
    assert Run.objects.count() == 1


@pytest.mark.django_db
def test_the_sweeper_queues_a_run_once_the_broker_is_back_and_never_twice(
    alice_api, publisher, settings, django_capture_on_commit_callbacks
):
    dataset = make_dataset(alice_api)
    publisher.use(broker_url("redis", closed_port()), new_queue())
    with django_capture_on_commit_callbacks(execute=True):
        run_id = body(dataset_run(alice_api, dataset["id"]))["id"]
    Run.objects.filter(pk=run_id).update(started_at=timezone.now() - timedelta(minutes=5))

    # Still down: nothing is resumed, and the next sweep tries again.
    assert tasks.resume_unfinished_runs(older_than=timedelta(seconds=60)) == []
    # Back (here: scoring in this process): the run is finished, exactly once.
    settings.CELERY_BROKER_URL = ""
    assert tasks.resume_unfinished_runs(older_than=timedelta(seconds=60)) == [run_id]
    run = Run.objects.get(pk=run_id)
    assert run.finished_at is not None
    assert run.aggregate_results == {"exact_match": 50.0, "json_equal": 50.0}
    assert Evaluation.objects.filter(run_id=run_id).count() == 6
    assert tasks.resume_unfinished_runs(older_than=timedelta(seconds=60)) == []


@needs_redis
@pytest.mark.django_db
def test_the_sweeper_queues_a_waiting_run_at_most_once_per_period(
    alice_api, publisher, django_capture_on_commit_callbacks
):
    import redis

    queue = new_queue()
    publisher.use(REDIS_URL, queue)
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost
        run_id = body(dataset_run(alice_api, make_dataset(alice_api)["id"]))["id"]
    Run.objects.filter(pk=run_id).update(started_at=timezone.now() - timedelta(minutes=5))

    assert tasks.resume_unfinished_runs(older_than=timedelta(seconds=60)) == [run_id]
    # No worker takes it: the next sweeps within the period leave the queued run alone.
    assert tasks.resume_unfinished_runs(older_than=timedelta(seconds=60)) == []
    assert tasks.resume_unfinished_runs(older_than=timedelta(seconds=60)) == []
    try:
        assert redis.Redis.from_url(REDIS_URL).llen(queue) == 1
    finally:
        delete_queue(REDIS_URL, queue)


@needs_redis
@pytest.mark.django_db
def test_a_resumed_run_queues_its_unfinished_slices_with_their_first_bounds(
    alice_api, publisher, monkeypatch, django_capture_on_commit_callbacks
):
    import json

    import redis

    queue = new_queue()
    publisher.use(REDIS_URL, queue)
    monkeypatch.setattr(tasks, "SLICE_IDS", 2)
    with django_capture_on_commit_callbacks(execute=False):  # the tasks are lost
        run_id = body(dataset_run(alice_api, make_dataset(alice_api)["id"]))["id"]
    first, second, third = tasks.id_slices(run_id)
    # Half of the first slice and all of the second were scored before the tasks were lost.
    Evaluation.objects.filter(pk__in=[first[0], *range(second[0], second[1] + 1)]).update(
        is_success=True, result=100, explanation="scored"
    )
    Run.objects.filter(pk=run_id).update(started_at=timezone.now() - timedelta(minutes=5))

    assert tasks.resume_unfinished_runs(older_than=timedelta(seconds=60)) == [run_id]

    client = redis.Redis.from_url(REDIS_URL)
    try:
        queued = [json.loads(message)["headers"]["argsrepr"] for message in client.lrange(queue, 0, -1)]
    finally:
        delete_queue(REDIS_URL, queue)
    # The same bounds as the slices first handed out, so a copy of one still in a broker shares its lease.
    assert sorted(queued) == sorted([repr((run_id, *first)), repr((run_id, *third))])


@pytest.mark.django_db
def test_a_transient_database_error_in_a_slice_is_retried(alice_api, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run_id = body(dataset_run(alice_api, make_dataset(alice_api)["id"]))["id"]
    (first_id, last_id) = tasks.id_slices(run_id)[0]
    real_score_slice, calls = tasks.score_slice, []

    def flaky_score_slice(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_score_slice(**kwargs)

    monkeypatch.setattr(tasks, "score_slice", flaky_score_slice)

    assert tasks.score_evaluations.apply(args=(run_id, first_id, last_id)).get() == 6

    assert len(calls) == 2
    assert Run.objects.get(pk=run_id).finished_at is not None
    options = tasks.score_evaluations
    assert set(options.autoretry_for) == {OperationalError, tasks.InterfaceError}
    assert options.retry_backoff and options.retry_jitter and options.max_retries >= 5
    assert options.retry_backoff_max < celery_app.conf.broker_transport_options["visibility_timeout"]


def test_the_broker_settings_bound_waits_and_redelivery():
    conf = celery_app.conf
    assert conf.broker_connection_timeout <= 2
    assert conf.task_publish_retry_policy["max_retries"] <= 1
    options = conf.broker_transport_options
    assert options["visibility_timeout"] <= 120  # a dead worker's slice comes back within about two minutes
    assert options["socket_timeout"] <= 2 and options["socket_connect_timeout"] <= 2
    entry = conf.beat_schedule["resume-unfinished-runs"]
    assert entry["task"] == "runs.resume_unfinished_runs"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] <= 60


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_second_delivery_of_a_slice_stands_aside_while_the_first_holds_it(alice_api, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(tasks, "_dispatch", lambda run_id: True)  # the first delivery is played by hand below
        run_id = body(dataset_run(alice_api, make_dataset(alice_api)["id"]))["id"]
    (first_id, last_id) = tasks.id_slices(run_id)[0]
    holding, release = threading.Event(), threading.Event()

    def first_delivery():
        try:
            with tasks.slice_lease(run_id, first_id) as held:
                assert held
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_delivery)
    thread.start()
    assert holding.wait(10)
    try:
        assert tasks.being_scored(run_id)
        assert tasks.score_evaluations(run_id, first_id, last_id) == 0
        assert Evaluation.objects.filter(run_id=run_id, is_success__isnull=True).count() == 6
        assert tasks.resume_unfinished_runs(older_than=timedelta(0)) == []  # someone is on it
    finally:
        release.set()
        thread.join()

    assert not tasks.being_scored(run_id)
    assert tasks.score_evaluations(run_id, first_id, last_id) == 6
    assert Run.objects.get(pk=run_id).finished_at is not None
