"""Background scoring: one task per slice of a run's evaluation ids.

With a broker configured the slices go to Celery workers; without one they run in this process once the
creating transaction has committed and, inside a request, once its response has gone out, so a non-blocking
create still answers at once. Either way a slice only scores what is still pending (safe to run twice,
which acks_late allows), and whichever slice completes the run sets finished_at, exactly once.
"""

import logging
import threading
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models import Max, Min
from django.dispatch import receiver
from django.utils import timezone

from metrics import registry
from runs.models import Evaluation, Run
from runs.scoring import finish_run_if_complete, score_slice

SLICE_IDS = 5000
logger = logging.getLogger(__name__)


@shared_task(acks_late=True, name="runs.score_evaluations")
def score_evaluations(run_id: int, first_id: int, last_id: int) -> int:
    # score_slice commits its own writes (no transaction may be open while a judge is called), so the check
    # for pending evaluations below sees every slice's committed work.
    scored = score_slice(run_id=run_id, first_id=first_id, last_id=last_id, specs=registry.REGISTRY)
    finish_run_if_complete(run_id)
    return scored


def id_slices(run_id: int) -> list[tuple[int, int]]:
    bounds = Evaluation.objects.filter(run_id=run_id).aggregate(first=Min("id"), last=Max("id"))
    if bounds["first"] is None:
        return []
    return [
        (start, min(start + SLICE_IDS - 1, bounds["last"]))
        for start in range(bounds["first"], bounds["last"] + 1, SLICE_IDS)
    ]


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


def _dispatch(run_id: int) -> None:
    if settings.CELERY_BROKER_URL:
        _score(run_id, score_evaluations.delay)
    else:
        after_response(lambda: _score(run_id, score_evaluations))


def resume_unfinished_runs(*, older_than: timedelta) -> list[int]:
    """Score again every run left unfinished for longer than `older_than` (a lost task, a dead process).

    Slices only score what is still pending, so resuming a run that is merely slow changes nothing.
    """
    cutoff = timezone.now() - older_than
    run_ids = list(Run.objects.filter(finished_at__isnull=True, started_at__lte=cutoff).values_list("pk", flat=True))
    for run_id in run_ids:
        _dispatch(run_id)
    return run_ids


def score_now(run_id: int) -> None:
    """Score a run's pending evaluations in this process, before returning (blocking runs)."""
    _score(run_id, score_evaluations)


def _score(run_id: int, run_slice) -> None:
    slices = id_slices(run_id)
    if not slices:
        finish_run_if_complete(run_id)
    for first_id, last_id in slices:
        run_slice(run_id, first_id, last_id)
