"""User-supplied regular expressions: held to static bounds before compiling, then matched with a timeout.

The `regex` engine unrolls counted repetitions while compiling, so `a{1000000000}` never finishes compiling and
`(a{1000}){1000}` takes seconds. A pattern is refused before it reaches the compiler when it is too long, when
one repetition count is too large, or when its repetitions, multiplied through their nesting, unroll past a
fixed size. Within these bounds compiling takes milliseconds, so argument validation may compile inside a
request. Matching can still backtrack catastrophically, which is why every match runs with a timeout.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import regex  # type: ignore[import-untyped]  # the regex package ships no type information

from .base import REGEX_TIMEOUT_SECONDS, MetricInputError

MAX_PATTERN_CHARS = 1000
MAX_REPEAT = 1000
# Size of a pattern once every counted repetition is unrolled: an atom counts 1, `x{n}` counts n times x.
MAX_EXPANSION = 10_000
# Escapes whose argument sits between braces (\p{L}, \N{EM DASH}, \x{1F600}): those braces repeat nothing.
_BRACED_ESCAPES = frozenset("pPNxXu")


class PatternError(ValueError):
    """A refused pattern. `invalid` tells a syntax error from a pattern that is beyond the bounds."""

    def __init__(self, phrase: str, *, invalid: bool):
        super().__init__(phrase)
        self.invalid = invalid


def _count(part: str) -> int:
    return int(part) if len(part) <= 12 else MAX_REPEAT + 1


def _quantifier(pattern: str, start: int) -> tuple[int, int] | None:
    """(largest count, index after it) for a `{m}`, `{m,}`, `{,n}` or `{m,n}` at `start`; None for a literal `{`."""
    end = pattern.find("}", start)
    if end == -1:
        return None
    low, comma, high = pattern[start + 1 : end].partition(",")
    parts = [part for part in (low, high) if part]
    if not parts or not all(part.isascii() and part.isdigit() for part in parts):
        return None
    # An open-ended {m,} is unrolled m times before it loops, so its largest count is what it costs.
    return max(_count(part) for part in parts), end + 1


def _skip_class(pattern: str, index: int) -> int:
    """Index just past the character class opening at `index`."""
    index += 1
    if pattern.startswith("^", index):
        index += 1
    if pattern.startswith("]", index):
        index += 1
    while index < len(pattern) and pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index + 1


def _skip_escape(pattern: str, index: int) -> int:
    """Index just past the escape sequence opening at `index`."""
    letter = pattern[index + 1 : index + 2]
    index += 2
    if letter in _BRACED_ESCAPES and pattern.startswith("{", index):
        closing = pattern.find("}", index)
        return len(pattern) if closing == -1 else closing + 1
    return index


def bounds_problem(pattern: str) -> str | None:
    """Why `pattern` is beyond the compile bounds, or None. It may over-count a repetition, never under-count one."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"is longer than {MAX_PATTERN_CHARS} characters"
    too_big = f"unrolls to more than {MAX_EXPANSION:,} elements once its repetitions are expanded"
    # One frame per open group: [unrolled size so far, unrolled size of its last atom].
    frames: list[list[int]] = [[0, 0]]
    index = 0
    while index < len(pattern):
        char = pattern[index]
        size = 1
        if char == "\\":
            index = _skip_escape(pattern, index)
        elif char == "[":
            index = _skip_class(pattern, index)
        elif char == "(":
            frames.append([0, 0])
            index += 1
            continue
        elif char == ")" and len(frames) > 1:
            size = frames.pop()[0]
            index += 1
        elif char == "{" and (quantifier := _quantifier(pattern, index)) is not None:
            count, index = quantifier
            if count > MAX_REPEAT:
                return f"repeats something more than {MAX_REPEAT} times"
            frame = frames[-1]
            frame[0] += frame[1] * (count - 1)
            frame[1] *= count
            if frame[0] > MAX_EXPANSION:
                return too_big
            continue
        else:
            index += 1
        frames[-1][0] += size
        frames[-1][1] = size
        if frames[-1][0] > MAX_EXPANSION:
            return too_big
    if sum(frame[0] for frame in frames) > MAX_EXPANSION:
        return too_big
    return None


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> regex.Pattern:
    """Compile a user pattern within the bounds. Raises PatternError."""
    if problem := bounds_problem(pattern):
        raise PatternError(problem, invalid=False)
    try:
        return regex.compile(pattern)
    except (regex.error, OverflowError, RecursionError, ValueError) as exc:
        raise PatternError(f"is not a valid regular expression ({exc})", invalid=True) from None


def pattern_problem(value: str) -> str | None:
    """Argument check for a string that holds a regular expression: a phrase such as "is not ...", or None."""
    try:
        compile_pattern(value)
    except PatternError as exc:
        return str(exc) if exc.invalid else f"is not accepted as a regular expression: it {exc}"
    return None


def run_pattern(what: str, method: str, pattern: str, *call_args: object) -> Any:
    """Call `method` (search, sub, split) of the compiled pattern under the match timeout.

    Raises MetricInputError naming `what` when the pattern is refused or takes too long on this input.
    """
    try:
        compiled = compile_pattern(pattern)
    except PatternError as exc:
        raise MetricInputError(f"{what} {exc}" if exc.invalid else f"{what} is not accepted: it {exc}") from None
    try:
        return getattr(compiled, method)(*call_args, timeout=REGEX_TIMEOUT_SECONDS)
    except TimeoutError:
        raise MetricInputError(f"{what} took too long on this input (over {REGEX_TIMEOUT_SECONDS:g} s)") from None
