"""Plain-text metrics: equality, character composition and simple type checks."""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable

from .base import Arg, Args, MetricSpec, Record, Score, always, field_text, pass_fail

STRUCTURAL = "Structural"

# A plain decimal number: optional sign, ASCII digits with an optional fraction, optional exponent.
# No surrounding whitespace, thousands separators, hex, NaN or Infinity.
NUMBER_PATTERN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

# Wide enough that subtracting two parsed numbers never overflows or rounds at any realistic size.
EXACT_CONTEXT = decimal.Context(prec=100, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[])


def parse_number(text: str) -> decimal.Decimal | None:
    if len(text) > 1000 or not NUMBER_PATTERN.fullmatch(text):
        return None
    return decimal.Decimal(text)


def score_exact_match(record: Record, args: Args) -> Score:
    output, golden = field_text(record, "output"), field_text(record, "golden_answer")
    if args.get("strip_whitespace", False):
        output, golden = output.strip(), golden.strip()
    if not args.get("case_sensitive", True):
        output, golden = output.casefold(), golden.casefold()
    if output == golden:
        return pass_fail(True, "output equals golden_answer")
    return pass_fail(False, "output differs from golden_answer")


def _share(text: str, keep: Callable[[str], bool], what: str) -> Score:
    if not text:
        return Score(0.0, "output is empty")
    matching = sum(1 for char in text if keep(char))
    return Score(100.0 * matching / len(text), f"{matching} of {len(text)} characters are {what}")


def score_alpha_perc(record: Record, args: Args) -> Score:
    return _share(field_text(record, "output"), str.isalpha, "letters")


def score_alphanum_perc(record: Record, args: Args) -> Score:
    return _share(field_text(record, "output"), lambda char: char.isalpha() or char.isdecimal(), "letters or digits")


def score_is_boolean(record: Record, args: Args) -> Score:
    if field_text(record, "output").lower() in ("true", "false"):
        return pass_fail(True, "output is a boolean")
    return pass_fail(False, "output is not true or false")


def score_is_numeric(record: Record, args: Args) -> Score:
    if parse_number(field_text(record, "output")) is not None:
        return pass_fail(True, "output is a number")
    return pass_fail(False, "output is not a number")


def score_is_string(record: Record, args: Args) -> Score:
    output = field_text(record, "output")
    if output == "":
        if args.get("allow_empty", False):
            return pass_fail(True, "output is an empty string, which is allowed")
        return pass_fail(False, "output is empty")
    if output.isspace() and not args.get("allow_whitespace_only", False):
        return pass_fail(False, "output is only whitespace")
    return pass_fail(True, "output is a string")


def score_numeric_match(record: Record, args: Args) -> Score:
    output = parse_number(field_text(record, "output"))
    golden = parse_number(field_text(record, "golden_answer"))
    if output is None:
        return pass_fail(False, "output is not a number")
    if golden is None:
        return pass_fail(False, "golden_answer is not a number")
    # repr() keeps the tolerance exactly as written, so 0.01 means 0.01 and not its binary approximation.
    absolute = decimal.Decimal(repr(args.get("tolerance", 0.0)))
    relative = decimal.Decimal(repr(args.get("relative_tolerance", 0.0)))
    difference = EXACT_CONTEXT.abs(EXACT_CONTEXT.subtract(output, golden))
    allowed = max(absolute, EXACT_CONTEXT.multiply(relative, EXACT_CONTEXT.abs(golden)))
    if difference <= allowed:
        return pass_fail(True, f"output matches golden_answer (difference {difference:.6g})")
    return pass_fail(False, f"output differs from golden_answer by {difference:.6g}, more than {allowed:.6g}")


SPECS = [
    MetricSpec(
        id=1,
        shortname="exact_match",
        name="Exact match",
        category=STRUCTURAL,
        description=(
            "Passes when output equals golden_answer. Options: case-insensitive comparison and trimming of "
            "surrounding whitespace; otherwise strings are compared exactly (two empty strings are equal)."
        ),
        default_threshold=100,
        inputs=("output", "golden_answer"),
        args=(
            Arg("case_sensitive", "boolean", default=True, description="Compare letter case."),
            Arg("strip_whitespace", "boolean", default=False, description="Trim surrounding whitespace first."),
        ),
        is_active=True,
        linear_when=always,
        scorer=score_exact_match,
    ),
    MetricSpec(
        id=3,
        shortname="alpha_perc",
        name="Alphabetic percentage",
        category=STRUCTURAL,
        description="Percentage of the output's characters that are Unicode letters. An empty output scores 0.",
        default_threshold=100,
        inputs=("output",),
        args=(),
        is_active=True,
        linear_when=always,
        scorer=score_alpha_perc,
    ),
    MetricSpec(
        id=4,
        shortname="alphanum_perc",
        name="Alphanumeric percentage",
        category=STRUCTURAL,
        description=(
            "Percentage of the output's characters that are Unicode letters or decimal digits. "
            "An empty output scores 0."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(),
        is_active=True,
        linear_when=always,
        scorer=score_alphanum_perc,
    ),
    MetricSpec(
        id=7,
        shortname="is_boolean",
        name="Is boolean",
        category=STRUCTURAL,
        description='Passes when the output is exactly "true" or "false", in any letter case, with no extra spaces.',
        default_threshold=100,
        inputs=("output",),
        args=(),
        is_active=True,
        linear_when=always,
        scorer=score_is_boolean,
    ),
    MetricSpec(
        id=9,
        shortname="is_numeric",
        name="Is numeric",
        category=STRUCTURAL,
        description=(
            "Passes when the output is an integer or decimal number such as -12, 3.5, .5 or 1e-3 (ASCII digits, "
            "no spaces, no thousands separators, no NaN or Infinity). An empty output fails."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(),
        is_active=True,
        linear_when=always,
        scorer=score_is_numeric,
    ),
    MetricSpec(
        id=10,
        shortname="is_string",
        name="Is string",
        category=STRUCTURAL,
        description=(
            "Passes when the output is a string; empty and whitespace-only strings fail unless allowed. "
            "allow_whitespace_only does not admit the empty string; allow_empty does."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(
            Arg("allow_empty", "boolean", default=False, description="Accept an empty string."),
            Arg("allow_whitespace_only", "boolean", default=False, description="Accept a whitespace-only string."),
        ),
        is_active=True,
        linear_when=always,
        scorer=score_is_string,
    ),
    MetricSpec(
        id=16,
        shortname="numeric_match",
        name="Numeric match",
        category=STRUCTURAL,
        description=(
            "Passes when output and golden_answer are both numbers (as for is_numeric) and "
            "abs(output - golden) <= max(tolerance, relative_tolerance * abs(golden)). Compared exactly in "
            "decimal, so 0.1 and 0.10 are equal. Anything that is not a number fails."
        ),
        default_threshold=100,
        inputs=("output", "golden_answer"),
        args=(
            Arg("tolerance", "number", default=0.0, minimum=0, description="Allowed absolute difference."),
            Arg(
                "relative_tolerance",
                "number",
                default=0.0,
                minimum=0,
                description="Allowed difference as a fraction of abs(golden_answer).",
            ),
        ),
        is_active=True,
        linear_when=always,
        scorer=score_numeric_match,
    ),
]
