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
from typing import Any

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


def judge_all(
    jobs: Sequence[JudgeJob],
    *,
    on_outcomes: Callable[[list[JudgeOutcome]], None],
    refusal: Callable[[], str | None] = lambda: None,
    on_cost: Callable[[Decimal], None] = lambda cost: None,
) -> None:
    """Judge every job; the callbacks run on this thread, never concurrently.

    `refusal` is asked before each evaluation: a reason (credits spent, run cancelled) fails it unjudged.
    """
    if jobs:
        async_to_sync(_judge_all)(list(jobs), on_outcomes, refusal, on_cost)


async def _judge_all(jobs, on_outcomes, refusal, on_cost) -> None:
    config = session_settings()
    db = sync_to_async  # thread_sensitive by default: back on the caller's thread
    port = CachePort(get=db(cache.cached_reply), put=db(cache.store_reply))
    session = JudgeSession(settings=config, limiter=_limiter(config), cache=port)
    emit, refused, charge = db(on_outcomes), db(refusal), db(on_cost)
    pending: list[JudgeOutcome] = []
    flushed_at = time.monotonic()
    slots = asyncio.Semaphore(config.concurrency)

    async def one(job: JudgeJob) -> JudgeOutcome:
        async with slots:
            if reason := await refused():
                return JudgeOutcome(job.key, None, reason, False, Decimal(0), None)
            outcome = await judge_one(job, session)
            if outcome.cost:
                await charge(outcome.cost)
            return outcome

    try:
        for finished in asyncio.as_completed([one(job) for job in jobs]):
            pending.append(await finished)
            if len(pending) >= FLUSH_EVERY or time.monotonic() - flushed_at >= FLUSH_SECONDS:
                batch, pending = pending, []
                await emit(batch)
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
