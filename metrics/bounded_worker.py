"""What runs inside an evaluator process (see metrics.bounded). No Django here.

Evaluator processes are forked from a server process that has already imported the registry and the libraries
its metrics use (PRELOAD), so starting one, or replacing one that was killed, costs milliseconds.
"""

from __future__ import annotations

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
    "rouge_score.rouge_scorer",
    "sacrebleu.metrics",
    "sqlglot",
    "textstat",
)

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


def initialize(memory_bytes: int) -> None:
    """Pool initializer: runs once in each new evaluator process, before its first evaluation."""
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
