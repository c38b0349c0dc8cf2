"""Background scoring: one task per slice of a run's evaluation ids.

With a broker configured the slices go to Celery workers; without one they run in this process once the
creating transaction has committed and, inside a request, once its response has gone out, so a non-blocking
create still answers at once. Either way a slice only scores what is still pending (safe to run twice,
which acks_late allows), and whichever slice completes the run sets finished_at, exactly once.

What brings work back after a fault:
- a worker dies mid-slice: the broker hands the slice out again (RabbitMQ when the connection drops, Redis once
  the slice has been unacknowledged for RUNS_REDELIVERY_S);
- a slice handed out while a live worker still scores it (a slow judged slice outlives the Redis timeout, a worker
  cut off from RabbitMQ carries on): the copy finds the slice's lease taken and stands aside, so no judge is paid
  twice for one evaluation;
- the database fails for a moment: the slice is retried with backoff;
- the broker cannot be reached when a run is saved, or every retry failed: the run stays pending, and the sweeper
  (celery beat, every RUNS_SWEEP_EVERY_S) queues again each run that nobody is scoring.
"""

import logging
import multiprocessing
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_process_init, worker_process_shutdown
from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Max, Min
from django.dispatch import receiver
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from metrics import bounded, registry
from runs.models import Evaluation, Run
from runs.scoring import finish_run_if_complete, score_slice

SLICE_IDS = 5000
# A judged slice sent to a worker is this many rounds of LLM_JUDGE_CONCURRENCY evaluations: short enough that
# judges answering at their usual pace finish it well inside RUNS_REDELIVERY_S, long enough that the work of
# starting a slice stays small next to its judge calls.
JUDGED_ROUNDS_PER_SLICE = 8
# Raised when the connection to the database is lost or refused: worth a retry, unlike a bug in a query.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    name="runs.score_evaluations",
    autoretry_for=TRANSIENT_DB_ERRORS,
    retry_backoff=2,
    # Kept under RUNS_REDELIVERY_S: Redis would hand a retry that waits longer than that out a second time.
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def score_evaluations(run_id: int, first_id: int, last_id: int) -> int:
    with slice_lease(run_id, first_id) as held:
        if not held:
            logger.info("Run %s, evaluations %s-%s: already being scored elsewhere", run_id, first_id, last_id)
            return 0
        # score_slice commits its own writes (no transaction may be open while a judge is called), so the check
        # for pending evaluations below sees every slice's committed work.
        scored = score_slice(run_id=run_id, first_id=first_id, last_id=last_id, specs=registry.REGISTRY)
        finish_run_if_complete(run_id)
    return scored


# The evaluators of a Celery pool process (metrics.bounded). multiprocessing sees a prefork pool process through
# billiard's record of it, which it must be able to start children from:
# - the record says daemonic, and multiprocessing refuses a daemon children because it cannot clean up after them
#   when it dies. The evaluators need no cleanup (they and their fork server die with the pool process, killed or
#   not), and the flag serves nothing else in the process itself (its parent keeps its own record of the child);
# - a new process is sent its parent's authentication key, which multiprocessing pickles only in its own type.
# On a normal exit (max-tasks-per-child, a warm shutdown) the evaluators are stopped and reaped.


@worker_process_init.connect
def _let_the_pool_process_start_evaluators(**kwargs) -> None:
    current = multiprocessing.current_process()
    current.daemon = False
    current._config["authkey"] = multiprocessing.process.AuthenticationString(current.authkey)


@worker_process_shutdown.connect
def _stop_the_evaluators(**kwargs) -> None:
    bounded.shutdown()


@shared_task(name="runs.resume_unfinished_runs")
def sweep_unfinished_runs() -> list[int]:
    """The sweeper, run by celery beat (CELERY_BEAT_SCHEDULE)."""
    return resume_unfinished_runs(older_than=timedelta(seconds=settings.RUNS_SWEEP_AFTER_S))


# Slice leases: a PostgreSQL session lock per (run, first id), held by the scoring connection. A worker that dies
# takes its connection, and so its leases, with it; nothing is left to expire.


def _lock_key(value: int) -> int:
    return value % 2**31  # the two-key form of the advisory locks takes int4 keys


@contextmanager
def slice_lease(run_id: int, first_id: int) -> Iterator[bool]:
    """True while this process holds the slice; False when another one does. Always True on SQLite (one process)."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = [_lock_key(run_id), _lock_key(first_id)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::int4, %s::int4)", key)
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with suppress(DatabaseError), connection.cursor() as cursor:  # a lost connection released it already
                cursor.execute("SELECT pg_advisory_unlock(%s::int4, %s::int4)", key)


def being_scored(run_id: int) -> bool:
    """Whether some process holds a lease on one of the run's slices right now."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted"
            " AND classid = %s::int8::oid"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
            [_lock_key(run_id)],
        )
        return cursor.fetchone()[0]


# Slicing.


def id_slices(run_id: int, *, size: int | None = None) -> list[tuple[int, int]]:
    bounds = Evaluation.objects.filter(run_id=run_id).aggregate(first=Min("id"), last=Max("id"))
    if bounds["first"] is None:
        return []
    size = size or SLICE_IDS
    return [
        (start, min(start + size - 1, bounds["last"])) for start in range(bounds["first"], bounds["last"] + 1, size)
    ]


def worker_slice_ids(run_id: int) -> int:
    """Ids per slice handed to a worker: SLICE_IDS, or a few judge rounds when the run has judged evaluations."""
    if not _has_judged(run_id):
        return SLICE_IDS
    return min(SLICE_IDS, max(1, JUDGED_ROUNDS_PER_SLICE * settings.LLM_JUDGE_CONCURRENCY))


def _has_judged(run_id: int) -> bool:
    judged = {spec.id for spec in registry.REGISTRY.values() if spec.is_judged}
    evaluations = Evaluation.objects.filter(run_id=run_id)
    if Run.objects.filter(pk=run_id, run_type=Run.RunType.DATASET).exists():
        # Every record of a dataset run has the same metrics, so its first evaluations name them all; a custom
        # run's blocks differ, but a custom run is small enough to look at whole.
        head = evaluations.order_by("id").values_list("metric_id", flat=True)[: len(registry.REGISTRY)]
        return any(metric_id in judged for metric_id in head)
    return evaluations.filter(metric_id__in=judged).exists()


def schedule_scoring(run_id: int) -> None:
    """Score a run in the background once the current transaction commits."""
    transaction.on_commit(lambda: _dispatch(run_id))


# Work deferred until the current request's response has been sent (the no-broker default).
_deferred = threading.local()


@receiver(request_started)
def _open_request(sender, **kwargs):
    _deferred.jobs = []


@receiver(request_finished)
def _run_after_response(sender, **kwargs):
    jobs, _deferred.jobs = getattr(_deferred, "jobs", None), None
    for job in jobs or ():
        try:
            job()
        except Exception:  # the response is gone; the run stays pending and the error is logged
            logger.exception("Deferred scoring failed")


def after_response(job) -> None:
    """Run `job` when the current response is finished, or now when there is no request (shell, commands)."""
    jobs = getattr(_deferred, "jobs", None)
    if jobs is None:
        job()
    else:
        jobs.append(job)


def _dispatch(run_id: int, *, resuming: bool = False) -> bool:
    """False when the run's slices could not be handed to the broker (the run stays pending)."""
    if settings.CELERY_BROKER_URL:
        return _queue(run_id, resuming=resuming)
    after_response(lambda: _score(run_id, score_evaluations))
    return True


def _queue(run_id: int, *, resuming: bool) -> bool:
    """Hand the run's slices to the broker (when resuming, those with evaluations still pending); False when the
    broker cannot be reached.

    The run is already saved, so a broker that is down or hung costs the request a bounded wait (the publish
    timeouts in settings) and one log line, not an error: the sweeper queues the run once the broker is back.
    Resumed slices keep the bounds of the first ones, so a copy of an old slice still in the broker and its
    resumed twin share one lease.
    """
    slices = id_slices(run_id, size=worker_slice_ids(run_id))
    if resuming:
        pending = Evaluation.objects.filter(run_id=run_id, is_success__isnull=True)
        slices = [(first, last) for first, last in slices if pending.filter(id__gte=first, id__lte=last).exists()]
    if not slices:
        finish_run_if_complete(run_id)
        return True
    try:
        for first_id, last_id in slices:
            score_evaluations.delay(run_id, first_id, last_id)
    except (BrokerError, OSError) as exc:
        logger.error("Run %s is saved but could not be queued (broker: %s); the sweeper will queue it", run_id, exc)
        return False
    return True


def resume_unfinished_runs(*, older_than: timedelta) -> list[int]:
    """Queue again every run left unfinished for longer than `older_than` that no process is scoring (a task lost
    with the broker, a retry that gave up, a process that died without a broker to hand its work back).

    Slices only score what is still pending, so resuming a run that is merely queued behind others changes
    nothing; each run is resumed at most once per `older_than`, so a long queue is not flooded with copies.
    """
    cutoff = timezone.now() - older_than
    candidates = Run.objects.filter(finished_at__isnull=True, started_at__lte=cutoff).order_by("started_at", "pk")
    resumed = []
    for run_id, started_at in candidates.values_list("pk", "started_at"):
        if being_scored(run_id):
            continue
        # Shared through the cache (Redis when configured), so two sweepers, or a sweeper and a person running
        # resume_runs, do not both queue the run.
        key = f"runs:resumed:{run_id}:{started_at.timestamp()}"
        if not cache.add(key, True, int(older_than.total_seconds())):
            continue
        if _dispatch(run_id, resuming=True):
            resumed.append(run_id)
        else:
            cache.delete(key)  # the next sweep tries again
    return resumed


def score_now(run_id: int) -> None:
    """Score a run's pending evaluations in this process, before returning (blocking runs)."""
    _score(run_id, score_evaluations)


def _score(run_id: int, run_slice) -> None:
    slices = id_slices(run_id)
    if not slices:
        finish_run_if_complete(run_id)
    for first_id, last_id in slices:
        run_slice(run_id, first_id, last_id)
