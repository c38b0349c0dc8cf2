"""Judged evaluations of a slice: routed to their model's judge, judged concurrently, paid for as they finish."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from accounts import credits
from metrics.availability import DEFAULT_MODEL_SLUG
from metrics.judges.routing import ModelRoute, configuration_problem, route_for
from metrics.judges.runner import JudgeJob, JudgeOutcome, judge_all
from metrics.registry import MetricSpec
from runs.models import Run


class PendingJudgement(NamedTuple):
    eval_id: int
    spec: MetricSpec
    fields: dict
    args: dict
    model_slug: str | None


def judge_pending(run_id: int, pending: list[PendingJudgement]) -> None:
    from runs.scoring import write_scores  # the engine calls this module; its writer lives there

    run = Run.objects.only("user_id", "org_id").get(pk=run_id)
    payer = credits.payer_for(owner_id=run.user_id, org_id=run.org_id)
    routes: dict[str, ModelRoute | None] = {}
    jobs, unroutable = [], []
    for item in pending:
        slug = item.model_slug or DEFAULT_MODEL_SLUG
        if slug not in routes:
            routes[slug] = route_for(slug)
        route = routes[slug]
        problem = f"model {slug!r} is not in the model catalog" if route is None else configuration_problem(route)
        if problem:
            unroutable.append((item.eval_id, None, f"not judged: {problem}", False, Decimal(0), None))
        else:
            jobs.append(JudgeJob(key=item.eval_id, spec=item.spec, fields=item.fields, args=item.args, route=route))
    write_scores(run_id, unroutable)

    def store(outcomes: list[JudgeOutcome]) -> None:
        write_scores(run_id, [_row(outcome) for outcome in outcomes])

    judge_all(jobs, on_outcomes=store, spending=RunSpending(run_id, payer))


NO_CREDIT = "not judged: the account's credits ran out during the run"
CANCELLED = "cancelled"


class RunSpending:
    """A run's judging stops when the run is cancelled or its payer's credits are spent (metrics.judges.runner
    asks at the start, with every batch of outcomes and after each payment)."""

    def __init__(self, run_id: int, payer: credits.Payer) -> None:
        self.run_id, self.payer = run_id, payer

    def stop_reason(self) -> str | None:
        if Run.objects.filter(pk=self.run_id, cancelled_at__isnull=False).exists():
            return CANCELLED
        return None if credits.can_spend(self.payer) else NO_CREDIT

    def pay(self, amount: Decimal) -> str | None:
        credits.debit(payer=self.payer, amount=amount)
        return None if credits.can_spend(self.payer) else NO_CREDIT


def _row(outcome: JudgeOutcome) -> tuple[Any, ...]:
    return (outcome.key, outcome.result, outcome.explanation, outcome.is_success, outcome.cost, outcome.metadata)
