"""Structural evaluations under a wall-clock limit and a memory ceiling, wherever they run.

Scorers run in a supervised pool of evaluator processes (pebble), one pool per process that scores: the web
process for blocking runs and /evaluate, each Celery pool process otherwise. An evaluator has an address-space
ceiling (METRIC_MEMORY_MB above what it maps at start), refuses network access, and is killed and replaced when
it overruns METRIC_TIMEOUT_S or dies; the calling process only ever sees a failed evaluation.

Evaluators are forked from a fork server that the scoring process starts, and never outlive that process, even
killed: the fork server exits with it, and the kernel kills each evaluator, busy or not, as the fork server exits
(bounded_worker.initialize). shutdown() stops them all and reaps the fork server; a Celery pool process calls it
when it exits (runs.tasks), so recycled pool processes leave nothing behind.

Work goes out in chunks of evaluations, sized to about TARGET_CHUNK_SECONDS of work each (measured as the call
goes), so the fast path pays one round trip per hundreds of evaluations; several chunks are in flight, so every
evaluator stays busy while the caller writes results. A chunk gets the budget of one evaluation: a chunk that
overruns it (or whose evaluator dies) is scored again one evaluation per task, each with the full budget, which
finds the hostile one and scores the rest.

An evaluation that cannot come near the limits, a linear metric (MetricSpec.linear_when) on at most
INLINE_MAX_CHARS of input, is scored in the caller: for cheap metrics the round trip costs more than the scoring
itself (bench/bounded.py measures both).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from pebble import ProcessExpired, ProcessPool

from metrics import bounded_worker, registry
from metrics.registry import MetricSpec

Outcome = tuple[float | None, str, bool]  # (result, explanation, is_success)
Work = tuple[MetricSpec, Mapping, Mapping]  # (spec, record fields, effective args)

FIRST_CHUNK, MIN_CHUNK, MAX_CHUNK = 64, 4, 512  # evaluations per chunk
TARGET_CHUNK_SECONDS = 0.05
CHUNK_CHARS = 1_000_000  # what one task carries, at most (a single larger row still goes alone)
CHUNKS_IN_FLIGHT_PER_WORKER = 3
# Input of a linear evaluation scored in the caller, at most: the slowest linear metric (sentence counting) takes
# about 0.1 s on this much on a busy machine, far inside METRIC_TIMEOUT_S, and a few megabytes.
INLINE_MAX_CHARS = 10_000
PROJECT_ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_pool: ProcessPool | None = None
_pool_key: tuple | None = None


def _limits() -> tuple[float, int, int]:
    return float(settings.METRIC_TIMEOUT_S), int(settings.METRIC_MEMORY_MB), max(1, int(settings.METRIC_WORKERS))


def _start_forkserver() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(bounded_worker.PRELOAD))
    # The fork server imports by name from its working directory; make sure it finds this project from anywhere.
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), previous]))
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        if previous is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = previous
    return context


def _get_pool() -> ProcessPool:
    global _pool, _pool_key
    _, memory_mb, workers = _limits()
    key = (os.getpid(), memory_mb, workers)
    with _lock:
        # `active` is also false once a supervising thread of the pool has died (it then enforces no timeout).
        if _pool is not None and (_pool_key != key or not _pool.active):
            if _pool_key is not None and _pool_key[0] == os.getpid():
                _stop(_pool)
            _pool = None  # a pool inherited through fork has no threads in this process: just forget it
        if _pool is None:
            if multiprocessing.current_process().daemon:
                # multiprocessing refuses children to a daemonic process; a Celery pool process is made able to
                # start evaluators when it starts (runs.tasks). Anywhere else this is a deployment error.
                raise RuntimeError("a daemonic process cannot start evaluator processes")
            _pool = ProcessPool(
                max_workers=workers,
                initializer=bounded_worker.initialize,
                initargs=(memory_mb * 1024 * 1024,),
                context=_start_forkserver(),
            )
            _pool_key = key
        return _pool


def _stop(pool: ProcessPool) -> None:
    pool.stop()
    pool.join(timeout=10)


def shutdown() -> None:
    """Stop this process's evaluators and their fork server (both start again on the next evaluation)."""
    global _pool, _pool_key
    with _lock:
        if _pool is not None and _pool_key is not None and _pool_key[0] == os.getpid():
            _stop(_pool)
        _pool, _pool_key = None, None
        _stop_fork_server()


def _stop_fork_server() -> None:
    """Stop and reap this process's fork server, so no zombie is left to whatever process adopts orphans (in a
    container, often one that never reaps). Any evaluator still alive dies with it (bounded_worker)."""
    server = multiprocessing.forkserver._forkserver
    if server._forkserver_pid is None:
        return
    with suppress(ProcessLookupError):
        os.kill(server._forkserver_pid, signal.SIGKILL)
    with suppress(ChildProcessError, OSError):
        server._stop()  # closes its pipe and waits for it


atexit.register(shutdown)


def _payload(chunk: list[Work]) -> list[tuple]:
    # Registry metrics travel as their id (the evaluator has the registry); any other spec travels whole.
    references: dict[int, int | MetricSpec] = {}
    for spec, _, _ in chunk:
        if id(spec) not in references:
            references[id(spec)] = spec.id if registry.REGISTRY.get(spec.id) is spec else spec
    return [(references[id(spec)], fields, args) for spec, fields, args in chunk]


def _submit(chunk: list[Work], timeout: float):
    try:
        return _get_pool().schedule(bounded_worker.score_chunk, args=(_payload(chunk),), timeout=timeout)
    except RuntimeError:  # the pool stopped under us (shutdown, broken): once more on a fresh one
        logger.warning("Evaluator pool was not running; starting a new one")
        shutdown()
        return _get_pool().schedule(bounded_worker.score_chunk, args=(_payload(chunk),), timeout=timeout)


def _failure(spec: MetricSpec, error: BaseException, timeout: float) -> Outcome:
    if isinstance(error, TimeoutError):
        return None, f"{spec.shortname}: timed out after {timeout:g} s", False
    if isinstance(error, ProcessExpired):
        return None, f"{spec.shortname}: too large to evaluate (the evaluation ran out of memory or crashed)", False
    logger.error("Evaluator failed on %s: %r", spec.shortname, error)
    return None, f"{spec.shortname} could not be evaluated (evaluator failure)", False


def _wait(future, timeout: float, in_flight: int):
    # The pool enforces the budget once a task starts; this only guards against a wedged pool.
    return future.result(timeout=timeout * (in_flight + 2) + 60)


class _Pace:
    """How many evaluations go in one chunk: enough for about TARGET_CHUNK_SECONDS of work, as measured on the
    chunks of this call so far. Cheap metrics travel thousands at a time; slow ones a few, so an honest chunk
    seldom overruns the budget of one evaluation."""

    def __init__(self, timeout: float):
        self.target = min(TARGET_CHUNK_SECONDS, timeout / 10)
        self.seconds_each: float | None = None

    def size(self) -> int:
        if self.seconds_each is None:
            return FIRST_CHUNK
        return int(min(MAX_CHUNK, max(MIN_CHUNK, self.target / max(self.seconds_each, 1e-7))))

    def learn(self, seconds: float, evaluations: int) -> None:
        each = seconds / evaluations
        self.seconds_each = each if self.seconds_each is None else (self.seconds_each + each) / 2


def _collect(chunk: list[Work], future, timeout: float, in_flight: int, pace: _Pace) -> list[Outcome]:
    try:
        seconds, outcomes = _wait(future, timeout, in_flight)
        if len(outcomes) == len(chunk):
            pace.learn(seconds, len(chunk))
            return outcomes
        error: BaseException = RuntimeError("evaluator returned a short chunk")
    except Exception as exc:  # noqa: BLE001 - every failure of a chunk is answered by scoring it one by one
        error = exc
    pace.learn(timeout, len(chunk))
    if len(chunk) == 1:
        return [_failure(chunk[0][0], error, timeout)]
    singles = [_submit([item], timeout) for item in chunk]
    outcomes = []
    for item, single in zip(chunk, singles, strict=True):
        try:
            outcomes.append(_wait(single, timeout, len(singles))[1][0])
        except Exception as exc:  # noqa: BLE001
            outcomes.append(_failure(item[0], exc, timeout))
    return outcomes


def _chunks(work: Iterable[Work], pace: _Pace) -> Iterator[list[Work]]:
    chunk: list[Work] = []
    chars = 0
    size = pace.size()
    last_fields, last_chars = None, 0
    for item in work:
        fields = item[1]
        if fields is not last_fields:  # the plans of one row share its fields: measure them once
            last_fields, last_chars = fields, sum(len(value) for value in fields.values() if isinstance(value, str))
        if chunk and (len(chunk) >= size or chars + last_chars > CHUNK_CHARS):
            yield chunk
            chunk, chars, size = [], 0, pace.size()
        chunk.append(item)
        chars += last_chars
    if chunk:
        yield chunk


def iter_scores(work: Iterable[Work]) -> Iterator[Outcome]:
    """The outcome of each (spec, fields, args), in order, as they finish; never raises for a hostile row.

    Small linear evaluations (MetricSpec.linear_when, at most INLINE_MAX_CHARS of input) are scored here, as
    nothing they do can approach the limits; every other one goes to the evaluators.
    """
    items = list(work)
    inline = [_is_inline(*item) for item in items]
    pooled = _score_pooled(item for item, here in zip(items, inline, strict=True) if not here)
    for item, here in zip(items, inline, strict=True):
        yield _score_inline(*item) if here else next(pooled)


def _is_inline(spec: MetricSpec, fields: Mapping, args: Mapping) -> bool:
    if spec.linear_when is None or not spec.linear_when(args):
        return False
    return sum(len(fields.get(name) or "") for name in spec.inputs) <= INLINE_MAX_CHARS


def _score_inline(spec: MetricSpec, fields: Mapping, args: Mapping) -> Outcome:
    try:
        scored = spec.score(fields, args)
    except registry.MetricInputError as exc:
        return None, str(exc), False
    return scored.result, scored.explanation, True


def _score_pooled(work: Iterable[Work]) -> Iterator[Outcome]:
    timeout, _, workers = _limits()
    window = workers * CHUNKS_IN_FLIGHT_PER_WORKER
    pace = _Pace(timeout)
    in_flight: deque = deque()
    for chunk in _chunks(work, pace):
        in_flight.append((chunk, _submit(chunk, timeout)))
        if len(in_flight) >= window:
            chunk_done, future = in_flight.popleft()
            yield from _collect(chunk_done, future, timeout, window, pace)
    while in_flight:
        chunk_done, future = in_flight.popleft()
        yield from _collect(chunk_done, future, timeout, window, pace)


def score(spec: MetricSpec, fields: Mapping, args: Mapping) -> Outcome:
    """One evaluation, bounded like the rest."""
    return next(iter_scores([(spec, fields, args)]))
