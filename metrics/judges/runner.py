"""Judging a batch of evaluations concurrently, from synchronous code (a Celery task, a request).

The judge calls run on an event loop; everything that touches the database (the cache, the caller's writes and
credit checks) runs back on the calling thread, which owns the connection and its transaction state. Outcomes
reach the caller in small batches as they complete, so a long batch shows progress and a crash loses little.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings

from metrics.registry import MetricInputError, MetricSpec

from . import cache
from .judge import CachePort, EvaluationJudge, JudgeSession, SessionSettings
from .limiter import LocalLimiter, RedisLimiter
from .routing import ModelRoute

logger = logging.getLogger(__name__)

FLUSH_EVERY = 50
FLUSH_SECONDS = 2.0


@dataclass(frozen=True)
class JudgeJob:
    key: Any  # the caller's id for the evaluation
    spec: MetricSpec
    fields: Mapping[str, str | None]
    args: Mapping[str, Any]
    route: ModelRoute


@dataclass(frozen=True)
class JudgeOutcome:
    key: Any
    result: float | None
    explanation: str
    is_success: bool
    cost: Decimal
    metadata: dict | None


def session_settings() -> SessionSettings:
    return SessionSettings(
        timeout=settings.LLM_JUDGE_TIMEOUT_S,
        max_retries=settings.LLM_JUDGE_MAX_RETRIES,
        concurrency=max(1, settings.LLM_JUDGE_CONCURRENCY),
        use_cache=settings.LLM_JUDGE_CACHE,
    )


def _limiter(config: SessionSettings):
    if settings.REDIS_URL:
        # A lease outlives the longest call the SDK can make, so only a dead holder's lease ever expires.
        lease = config.timeout * (config.max_retries + 1) + 60
        return RedisLimiter(settings.REDIS_URL, config.concurrency, lease)
    return LocalLimiter(config.concurrency)


class Spending(Protocol):
    """What a batch may spend, as the caller keeps it. Both methods run on the caller's thread (they read and
    write the database) and answer a reason to judge nothing more (a cancelled run, credits spent), or None."""

    def stop_reason(self) -> str | None: ...

    def pay(self, amount: Decimal) -> str | None: ...


class Unlimited:
    def stop_reason(self) -> str | None:
        return None

    def pay(self, amount: Decimal) -> str | None:
        return None


def judge_all(
    jobs: Sequence[JudgeJob],
    *,
    on_outcomes: Callable[[list[JudgeOutcome]], None],
    spending: Spending | None = None,
) -> None:
    """Judge every job; the callbacks run on this thread, never concurrently.

    An evaluation about to start is refused unjudged once `spending` gave a reason. The reason is read at the
    start and with every batch of outcomes (so a cancel stops the judging within FLUSH_SECONDS), and after each
    payment (so spending stops as the balance reaches zero, past it by at most the evaluations in flight).
    """
    if jobs:
        async_to_sync(_judge_all)(list(jobs), on_outcomes, spending or Unlimited())


class _Gate:
    """The batch's view of `spending` on the event loop: the last reason given, and payments coalesced so that at
    most one is on its way to the database at a time (the rest of the loop never waits for it)."""

    def __init__(self, spending: Spending) -> None:
        self._stop_reason = sync_to_async(spending.stop_reason)
        self._pay = sync_to_async(spending.pay)
        self.reason: str | None = None
        self._unpaid = Decimal(0)
        self._paying = False

    async def refresh(self) -> None:
        self.reason = await self._stop_reason()

    async def pay(self, amount: Decimal) -> None:
        self._unpaid += amount
        if self._paying:
            return  # the payment in progress takes this amount along in its next round
        self._paying = True
        try:
            while self._unpaid:
                amount, self._unpaid = self._unpaid, Decimal(0)
                self.reason = await self._pay(amount) or self.reason
        finally:
            self._paying = False


async def _judge_all(jobs, on_outcomes, spending) -> None:
    config = session_settings()
    db = sync_to_async  # thread_sensitive by default: back on the caller's thread
    port = CachePort(get=db(cache.cached_reply), put=db(cache.store_reply))
    session = JudgeSession(settings=config, limiter=_limiter(config), cache=port)
    gate = _Gate(spending)
    emit = db(on_outcomes)
    pending: list[JudgeOutcome] = []
    flushed_at = time.monotonic()
    slots = asyncio.Semaphore(config.concurrency)

    async def one(job: JudgeJob) -> JudgeOutcome:
        async with slots:
            if gate.reason:
                return JudgeOutcome(job.key, None, gate.reason, False, Decimal(0), None)
            outcome = await judge_one(job, session)
            if outcome.cost:
                await gate.pay(outcome.cost)
            return outcome

    try:
        await gate.refresh()
        for finished in asyncio.as_completed([one(job) for job in jobs]):
            pending.append(await finished)
            if len(pending) >= FLUSH_EVERY or time.monotonic() - flushed_at >= FLUSH_SECONDS:
                batch, pending = pending, []
                await emit(batch)
                await gate.refresh()
                flushed_at = time.monotonic()
        if pending:
            await emit(pending)
    finally:
        await session.aclose()


async def judge_one(job: JudgeJob, session: JudgeSession) -> JudgeOutcome:
    """One evaluation: a judge failure or an unusable row is a failed evaluation with a reason, never an error."""
    spec = job.spec
    judge = EvaluationJudge(session=session, route=job.route)
    try:
        if problem := spec.missing_input(job.fields):
            raise MetricInputError(problem)
        score = await spec.judge_scorer(job.fields, job.args, judge)
        result = float(score.result)
        if not math.isfinite(result):
            raise MetricInputError(f"{spec.shortname} produced no usable score")
    except MetricInputError as exc:
        return _failure(job, judge, str(exc))
    except Exception as exc:  # a recipe bug on odd input: reported briefly, logged in full
        logger.exception("Judged metric %s failed", spec.shortname)
        return _failure(job, judge, f"{spec.shortname} could not score this row ({type(exc).__name__})")
    metadata = {**(score.metadata or {}), "judge": judge.summary()}
    result = min(100.0, max(0.0, result))
    return JudgeOutcome(job.key, result, score.explanation, True, judge.cost, metadata)


def _failure(job: JudgeJob, judge: EvaluationJudge, reason: str) -> JudgeOutcome:
    metadata = {"judge": judge.summary()} if judge.calls else None
    return JudgeOutcome(job.key, None, reason, False, judge.cost, metadata)
