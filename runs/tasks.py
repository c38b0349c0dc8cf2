"""Background scoring: one task per slice of a run's evaluation ids.

With a broker configured the slices go to Celery workers; without one they run in this process right after
the creating transaction commits. Either way a slice only scores what is still pending (safe to run twice,
which acks_late allows), and whichever slice completes the run sets finished_at, exactly once.
"""

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min

from metrics import registry
from runs.models import Evaluation
from runs.scoring import finish_run_if_complete, score_slice

SLICE_IDS = 5000


@shared_task(acks_late=True, name="runs.score_evaluations")
def score_evaluations(run_id: int, first_id: int, last_id: int) -> int:
    with transaction.atomic():
        scored = score_slice(run_id=run_id, first_id=first_id, last_id=last_id, specs=registry.REGISTRY)
    # After the commit, so the check for pending evaluations sees every other slice's committed work.
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


def _dispatch(run_id: int) -> None:
    slices = id_slices(run_id)
    if not slices:
        finish_run_if_complete(run_id)
        return
    for first_id, last_id in slices:
        if settings.CELERY_BROKER_URL:
            score_evaluations.delay(run_id, first_id, last_id)
        else:
            score_evaluations(run_id, first_id, last_id)
