"""Acting on a run after it started: cancel what is still pending, or score again what failed.

Both are safe against workers finishing slices at the same moment: evaluations are only ever written while
pending (is_success null), and the progress counters move by the rows each statement actually changed.
"""

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from aegis.errors import BusinessRuleError
from runs.judging import CANCELLED
from runs.models import Evaluation, Run
from runs.scoring import finish_run_if_complete
from runs.tasks import schedule_scoring


def run_cancel(*, user: User, run: Run) -> Run:
    """Pending evaluations fail with "cancelled", no judge is called for them, finished_at is set once.

    `run` is already known to be visible to `user`, which is what editing a run asks too.
    """
    if run.finished_at is not None:
        raise BusinessRuleError(f"Run {run.pk} has already finished.", errors={"status": [run.status]})
    now = timezone.now()
    with transaction.atomic():
        # Evaluations first, then the run row: the order in which slices write, so the two never deadlock.
        cancelled = Evaluation.objects.filter(run_id=run.pk, is_success__isnull=True).update(
            is_success=False,
            explanation=CANCELLED,
            finished_at=now,
            evaluation_cost=Coalesce(F("evaluation_cost"), Value(0), output_field=Evaluation.evaluation_cost.field),
        )
        Run.objects.filter(pk=run.pk).update(
            cancelled_at=now, done_count=F("done_count") + cancelled, failed_count=F("failed_count") + cancelled
        )
    finish_run_if_complete(run.pk)
    run.refresh_from_db()
    return run


def run_retry(*, user: User, run: Run) -> Run:
    """Score again, in the background, the evaluations that failed (not the low scores), with the same plans.

    A run still in flight is left as it is, so a second call while a retry runs changes nothing; the aggregates
    and finished_at are computed again when the retried evaluations are done.
    """
    from runs.services import check_retry_credits  # the credit estimate lives with the other creates

    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.finished_at is None:
            return locked
        failed = Evaluation.objects.filter(run_id=run.pk, is_success=False)
        check_retry_credits(user=user, run=locked, evaluations=failed)
        # The cost stays: it is what earlier attempts already cost, and retried scores add to it.
        retried = failed.update(result=None, explanation=None, is_success=None, finished_at=None, eval_metadata=None)
        if retried:
            Run.objects.filter(pk=run.pk).update(
                finished_at=None,
                cancelled_at=None,
                done_count=F("done_count") - retried,
                failed_count=F("failed_count") - retried,
            )
            schedule_scoring(run.pk)
    run.refresh_from_db()
    return run
