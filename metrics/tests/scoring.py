"""Shared steps for the scorer tests (test_scorers_*.py): score one row, and check a score or an input error."""

import re

import pytest

from metrics.args import resolve_args
from metrics.registry import MetricInputError, by_shortname

PASS, FAIL = 100.0, 0.0
ERROR = MetricInputError

# Entity expansion ("billion laughs"): the XML metrics must refuse it, whether they parse or compare.
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>"""

# What a person must never read as an evaluation's explanation: Python's own words for a crash or an object.
PYTHON_INTERNALS = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|<[\w.]+ object at 0x")
MAX_REASON_CHARS = 1000


def assert_is_a_reason(exc: BaseException) -> None:
    """A MetricInputError's text becomes the evaluation's explanation: a short reason, not a crash report."""
    message = str(exc)
    assert message.strip(), f"{type(exc).__name__} with no message"
    assert len(message) <= MAX_REASON_CHARS, message[:200]
    assert not PYTHON_INTERNALS.search(message), message


def score(shortname, output, golden=None, **args):
    spec = by_shortname(shortname)
    record = {"prompt": None, "input": None, "context": None, "output": output, "golden_answer": golden}
    return spec.score(record, resolve_args(spec, args))


def check(shortname, output, golden, args, expected):
    """expected: an exact score, a (low, high) range, or MetricInputError."""
    if expected is ERROR:
        with pytest.raises(MetricInputError) as raised:
            score(shortname, output, golden, **args)
        assert_is_a_reason(raised.value)
        return
    result = score(shortname, output, golden, **args)
    assert result.explanation
    if isinstance(expected, tuple):
        low, high = expected
        assert low <= result.result <= high, result
    else:
        assert result.result == pytest.approx(expected), result


def cases(*rows):
    """rows of (output, golden, args, expected); ids show the output for readable failures."""
    return pytest.mark.parametrize(
        "output,golden,args,expected", rows, ids=[f"{i}-{str(row[0])[:30]!r}" for i, row in enumerate(rows)]
    )
