"""Building blocks shared by every metric: argument declarations, scores and the metric spec itself."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A value decoded from JSON (a document under test, a judge's reply, an argument default): arbitrary by nature.
JSON = Any
# One row as the scorers see it: the record fields by name, None where the row has no value.
Record = Mapping[str, str | None]
# Validated arguments merged with their defaults (metrics.args.resolve_args); each value has its Arg's type.
Args = Mapping[str, Any]

RECORD_FIELDS = ("prompt", "input", "context", "output", "golden_answer")

# Structured inputs (JSON, XML, code) larger than this are refused instead of parsed, so one hostile row
# cannot tie up a worker or exhaust its memory.
MAX_DOCUMENT_CHARS = 2_000_000

# Upper bound for one user-supplied regular expression run against one field.
REGEX_TIMEOUT_SECONDS = 1.0


class _NoDefault:
    """Marks an argument that has no default value (distinct from a default of None)."""

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True)
class Arg:
    name: str
    type: str
    default: JSON = NO_DEFAULT
    required: bool = False
    choices: tuple[JSON, ...] | None = None
    item_type: str | None = None
    minimum: float | None = None
    description: str = ""
    # Extra rule beyond the declared type: returns a problem phrase ("must be ...") or None when the value is fine.
    check: Callable[[Any], str | None] | None = field(default=None, compare=False, repr=False)

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def as_json(self) -> dict[str, JSON]:
        data: dict[str, JSON] = {
            "name": self.name,
            "type": self.type,
            "default": self.default if self.has_default else None,
            "required": self.required,
            "description": self.description,
        }
        if self.choices is not None:
            data["choices"] = list(self.choices)
        if self.item_type is not None:
            data["item_type"] = self.item_type
        if self.minimum is not None:
            data["minimum"] = self.minimum
        return data


@dataclass(frozen=True)
class Score:
    result: float
    explanation: str
    # What a judged metric judged (items with verdicts and reasons); structural metrics leave it None.
    metadata: dict[str, JSON] | None = None


class MetricInputError(Exception):
    """The row cannot be scored (missing input, unusable argument).

    The run records is_success=false with str(exc) as the explanation.
    """


@dataclass(frozen=True)
class MetricSpec:
    id: int
    shortname: str
    name: str
    category: str
    description: str
    default_threshold: int
    inputs: tuple[str, ...]
    args: tuple[Arg, ...]
    is_active: bool
    scorer: Callable[[Record, Args], Score] | None = None
    # LLM-judged metrics score with `judge_scorer(record, args, judge)` (async; see registry.judged.contract).
    judge_scorer: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    # Rules that involve several arguments together; returns problem phrases that name the argument.
    args_check: Callable[[Args], list[str]] | None = field(default=None, compare=False, repr=False)
    # True when, with these arguments, scoring is linear in the input with a small constant (no user pattern, no
    # unordered pairing, no library parser): on a small input such an evaluation is scored in the caller, without
    # the round trip to an evaluator process (see metrics.bounded). None: always in an evaluator.
    linear_when: Callable[[Args], bool] | None = field(default=None, compare=False, repr=False)

    def arg(self, name: str) -> Arg | None:
        for candidate in self.args:
            if candidate.name == name:
                return candidate
        return None

    @property
    def is_judged(self) -> bool:
        return self.judge_scorer is not None

    def missing_input(self, record: Record) -> str | None:
        for field_name in self.inputs:
            if record.get(field_name) is None:
                return f"{field_name} is required by {self.shortname} but is missing"
        return None

    def score(self, record: Record, args: Args) -> Score:
        """Score one record. `args` are already validated and merged with defaults (metrics.args.resolve_args)."""
        if self.scorer is None:
            raise MetricInputError(f"metric {self.shortname} is not active")
        if problem := self.missing_input(record):
            raise MetricInputError(problem)
        try:
            score = self.scorer(record, args)
        except MetricInputError:
            raise
        except RecursionError:
            raise MetricInputError(f"{self.shortname}: input is nested too deeply to evaluate") from None
        except MemoryError:
            raise MetricInputError(f"{self.shortname}: input is too large to evaluate") from None
        except Exception as exc:  # a library failed on odd input: report it briefly, never as a traceback
            raise MetricInputError(f"{self.shortname} could not score this row ({type(exc).__name__})") from None
        result = float(score.result)
        if math.isnan(result):
            raise MetricInputError(f"{self.shortname} produced no usable score")
        return Score(result=min(100.0, max(0.0, result)), explanation=score.explanation)


# Helpers used by the metric modules.


def always(args: Args) -> bool:
    return True


def pass_fail(passed: bool, explanation: str) -> Score:
    return Score(result=100.0 if passed else 0.0, explanation=explanation)


def field_text(record: Record, field_name: str) -> str:
    """The text of an input the metric declares: MetricSpec.score has refused the row when it is missing."""
    text = record[field_name]
    if text is None:
        raise MetricInputError(f"{field_name} is missing")
    return text


def ensure_size(field_name: str, text: str) -> None:
    if len(text) > MAX_DOCUMENT_CHARS:
        raise MetricInputError(f"{field_name} is too large to evaluate (over {MAX_DOCUMENT_CHARS:,} characters)")


def within_bounds(count: float, args: Args, unit: str) -> Score:
    """Pass/fail on the optional min_count/max_count bounds shared by the count metrics."""
    low = args.get("min_count")
    high = args.get("max_count")
    if low is None and high is None:
        return pass_fail(True, f"{count} {unit}; no bounds set")
    if low is not None and count < low:
        return pass_fail(False, f"{count} {unit}, fewer than min_count {low}")
    if high is not None and count > high:
        return pass_fail(False, f"{count} {unit}, more than max_count {high}")
    return pass_fail(True, f"{count} {unit}, within bounds")
