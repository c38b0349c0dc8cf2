"""Scorers that misbehave on purpose, for the evaluator-pool tests. No Django: evaluator processes import this."""

from __future__ import annotations

import dataclasses
import os
import signal
import time

from metrics.registry import MetricSpec, Score, by_shortname


def never_returns(record, args) -> Score:
    while True:
        time.sleep(0.05)


def spins(record, args) -> Score:
    while True:
        pass


def exhausts_memory(record, args) -> Score:
    blocks = []
    while True:
        blocks.append(bytearray(64 * 1024 * 1024))


def is_killed(record, args) -> Score:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def opens_a_connection(record, args) -> Score:
    import urllib.request

    urllib.request.urlopen(args["url"], timeout=5).read()
    return Score(100.0, "fetched")


def hostile(scorer, shortname: str | None = None) -> MetricSpec:
    """A structural spec (not in the registry, so it travels whole to the evaluator) that scores with `scorer`."""
    return dataclasses.replace(
        by_shortname("exact_match"),
        id=990,
        shortname=shortname or scorer.__name__,
        inputs=(),
        scorer=scorer,
        linear_when=None,  # never scored in the caller
    )
