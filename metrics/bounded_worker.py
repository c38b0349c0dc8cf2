"""What runs inside an evaluator process (see metrics.bounded). No Django here.

Evaluator processes are forked from a server process that has already imported the registry and the libraries
its metrics use and scored one sample with each metric (PRELOAD), so starting one, or replacing one that was
killed, costs milliseconds, and no evaluation pays for a library's first use (textstat reads a 135,000-word
pronouncing dictionary then: seconds, most of METRIC_TIMEOUT_S on a busy machine).
"""

from __future__ import annotations

import ctypes
import multiprocessing.forkserver
import os
import resource
import signal
import sys
import time

from metrics import registry
from metrics.registry import MetricInputError, MetricSpec

PRELOAD = (
    "metrics.bounded_worker",
    "metrics.registry.json_schema",
    "dateutil.parser",
    "lxml.etree",
    "nltk.stem.porter",
    "sacrebleu.metrics",
    "sqlglot",
    "textstat",
    "metrics.bounded_server",  # last: warms the libraries, see there
)
SAMPLE = {
    "prompt": "What is the capital of France?",
    "input": None,
    "context": "Paris is the capital of France.",
    "output": '{"answer": "Paris", "sql": "SELECT 1"}',
    "golden_answer": '{"answer": "Paris", "sql": "SELECT 1"}',
}

PR_SET_PDEATHSIG = 1  # linux/prctl.h

# Audit events of everything that would reach the network. A metric argument never needs it, so a library
# that tries anyway (a schema loader, a DTD fetcher written in Python) fails instead.
_NETWORK_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.sendto",
        "socket.sendmsg",
        "urllib.Request",
    }
)


def _refuse_network(event: str, args) -> None:
    if event in _NETWORK_EVENTS:
        raise PermissionError(f"evaluations do not use the network ({event})")


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _die_with_the_caller() -> None:
    """Tie this evaluator's life to the process that scores (the caller), which started its fork server.

    An idle evaluator notices a dead caller by its closed pipe; a busy one, in a hostile evaluation, would run on.
    So: the fork server exits once every holder of its "alive" pipe is gone, the caller and, by default, each
    process it forked; evaluators never start processes, so they let go of theirs, and the fork server exits with
    the caller alone. The kernel then kills each evaluator as its parent, the fork server, exits.
    """
    server = multiprocessing.forkserver._forkserver
    if server._forkserver_alive_fd is not None:
        os.close(server._forkserver_alive_fd)
        server._forkserver_alive_fd = None
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def initialize(memory_bytes: int) -> None:
    """Pool initializer: runs once in each new evaluator process, before its first evaluation."""
    _die_with_the_caller()
    # A timed-out evaluation may be stuck in C code, where a Python signal handler never runs: die at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.addaudithook(_refuse_network)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_bytes > 0:
        # The ceiling is what one evaluation may add to what the process already maps (interpreter, libraries).
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = _address_space() + memory_bytes
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def warm_up() -> None:
    """Score SAMPLE with each structural metric, with its default arguments, so that the caches libraries fill on
    first use are filled here, once, in the fork server, and every evaluator forked from it starts warm."""
    for spec in registry.REGISTRY.values():
        if spec.is_judged:
            continue
        defaults = {arg.name: arg.default for arg in spec.args if arg.has_default}
        try:
            spec.score(SAMPLE, defaults)
        except Exception:  # noqa: BLE001 - a metric that needs other arguments is simply not warmed
            continue


def _spec(reference: int | MetricSpec) -> MetricSpec:
    return registry.REGISTRY[reference] if isinstance(reference, int) else reference


def score_chunk(work: list[tuple]) -> tuple[float, list[tuple[float | None, str, bool]]]:
    """Seconds taken, and (result, explanation, is_success) for each (spec or registry id, fields, args) in order."""
    started = time.perf_counter()
    outcomes = []
    for reference, fields, args in work:
        try:
            score = _spec(reference).score(fields, args)
        except MetricInputError as exc:
            outcomes.append((None, str(exc), False))
        else:
            outcomes.append((score.result, score.explanation, True))
    return time.perf_counter() - started, outcomes
