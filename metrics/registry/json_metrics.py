"""JSON metrics: validity, structural equality and JSON Schema conformance."""

from __future__ import annotations

import json
from collections.abc import Hashable
from typing import Any

from .base import Arg, Args, MetricSpec, Record, Score, always, ensure_size, field_text, pass_fail
from .matching import Budget, Interner, match_unordered

STRUCTURAL = "Structural"
VALIDATORS = ("Draft7Validator", "Draft202012Validator")


class InvalidJson(ValueError):
    pass


def _reject_constant(name: str) -> None:
    raise InvalidJson(f"{name} is not valid JSON")


def parse_json(field_name: str, text: str) -> Any:
    """Parse strict JSON (no NaN or Infinity). Raises InvalidJson with a short reason."""
    ensure_size(field_name, text)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"{field_name} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except InvalidJson as exc:
        raise InvalidJson(f"{field_name}: {exc}") from None
    except ValueError:  # e.g. an integer literal beyond Python's digit limit
        raise InvalidJson(f"{field_name} is not valid JSON (number too large)") from None


def _same_kind(a: Any, b: Any) -> bool:
    # JSON true is not 1, and 1 equals 1.0: booleans form their own kind, all numbers share one.
    def kind(value: Any) -> str:
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int | float):
            return "number"
        return type(value).__name__

    return kind(a) == kind(b)


class JsonComparison:
    """One golden/output comparison. Unordered arrays compare by interned structural forms (each value's form
    computed once), and pairing items that may carry extra keys is bounded by a comparison budget."""

    def __init__(self, ignore_order: bool, ignore_extra_keys: bool):
        self.ignore_order = ignore_order
        self.ignore_extra_keys = ignore_extra_keys
        self.intern = Interner()
        self.budget = Budget()
        self._forms: dict[int, int] = {}  # id() of a container -> its form; the values outlive the comparison

    def form(self, value: Any) -> int:
        """Equal forms mean equal values with arrays taken as multisets (1 and 1.0 equal, true not 1)."""
        if isinstance(value, dict | list):
            known = self._forms.get(id(value))
            if known is None:
                key: Hashable
                if isinstance(value, dict):
                    key = ("object", tuple(sorted((name, self.form(item)) for name, item in value.items())))
                else:
                    key = ("array", tuple(sorted(self.form(item) for item in value)))
                known = self._forms[id(value)] = self.intern(key)
            return known
        if isinstance(value, bool):
            return self.intern(("boolean", value))
        if value is None or isinstance(value, str):
            return self.intern(("scalar", value))
        return self.intern(("number", value))

    def features(self, value: Any) -> frozenset[Hashable]:
        """What any output value that satisfies `value` shares with it (its keys and scalar members)."""
        if isinstance(value, dict):
            members: set[Hashable] = {("key", name) for name in value}
            for name, item in value.items():
                if isinstance(item, list):
                    # Scalars only ever pair with equal scalars, and the arrays are equally long, so a satisfying
                    # array holds exactly the same scalars.
                    scalars = sorted(self.form(member) for member in item if not isinstance(member, dict | list))
                    members.add(("scalars", name, self.intern(("scalars", *scalars))))
                elif not isinstance(item, dict):
                    members.add(("member", name, self.form(item)))
            return frozenset({("kind", "object"), *members})
        if isinstance(value, list):
            return frozenset({("kind", "array"), ("length", len(value))})
        return frozenset({("scalar", self.form(value))})

    def matches(self, golden: Any, output: Any) -> bool:
        """True when output equals golden; extra keys only count against output when ignore_extra_keys is off."""
        if not _same_kind(golden, output):
            return False
        if isinstance(golden, dict):
            if self.ignore_extra_keys:
                if not golden.keys() <= output.keys():
                    return False
            elif golden.keys() != output.keys():
                return False
            return all(self.matches(golden[key], output[key]) for key in golden)
        if isinstance(golden, list):
            if len(golden) != len(output):
                return False
            if not self.ignore_order:
                return all(self.matches(g, o) for g, o in zip(golden, output, strict=True))
            if not self.ignore_extra_keys:
                return self.form(golden) == self.form(output)
            # With extra keys allowed an output item may satisfy several golden items, so pair them up properly.
            return match_unordered(
                golden, output, form=self.form, features=self.features, compatible=self.matches, budget=self.budget
            )
        same: bool = golden == output  # JSON values: == is a bool
        return same


def json_matches(golden: Any, output: Any, ignore_order: bool, ignore_extra_keys: bool) -> bool:
    return JsonComparison(ignore_order, ignore_extra_keys).matches(golden, output)


def _ordered(args: Args) -> bool:
    return not args.get("ignore_order", False)


def score_json_equal(record: Record, args: Args) -> Score:
    try:
        output = parse_json("output", field_text(record, "output"))
        golden = parse_json("golden_answer", field_text(record, "golden_answer"))
    except InvalidJson as exc:
        return pass_fail(False, str(exc))
    if json_matches(golden, output, args.get("ignore_order", False), args.get("ignore_extra_keys", False)):
        return pass_fail(True, "output JSON equals golden_answer JSON")
    return pass_fail(False, "output JSON differs from golden_answer JSON")


def score_is_valid_json(record: Record, args: Args) -> Score:
    try:
        parse_json("output", field_text(record, "output"))
    except InvalidJson as exc:
        return pass_fail(False, str(exc))
    return pass_fail(True, "output is valid JSON")


def schema_problems(values: Args) -> list[str]:
    """Argument check: the schema must be valid for the chosen validator (its patterns within the bounds)."""
    from .json_schema import schema_problem

    schema = values.get("schema")
    validator_name = values.get("validator", "Draft7Validator")
    if schema is None or validator_name not in VALIDATORS:
        return []
    if problem := schema_problem(schema, validator_name):
        return [f"argument 'schema' is not a valid {validator_name} schema: {problem}"]
    return []


def score_json_schema_match(record: Record, args: Args) -> Score:
    from .json_schema import first_error

    schema = args.get("schema")
    if schema is None:
        return pass_fail(False, "no schema configured")
    try:
        output = parse_json("output", field_text(record, "output"))
    except InvalidJson as exc:
        return pass_fail(False, str(exc))
    error = first_error(schema, args.get("validator", "Draft7Validator"), output)
    if error is None:
        return pass_fail(True, "output conforms to the schema")
    location = "/".join(str(part) for part in error.absolute_path) or "(root)"
    message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
    return pass_fail(False, f"output does not conform to the schema at {location}: {message}")


SPECS = [
    MetricSpec(
        id=2,
        shortname="json_equal",
        name="JSON equal",
        category=STRUCTURAL,
        description=(
            "Passes when output and golden_answer both parse as JSON and are equal. Numbers compare by value "
            "(1 equals 1.0) and true is not 1. ignore_order compares arrays as multisets at every depth; "
            "ignore_extra_keys ignores object keys present only in the output. Invalid JSON (including an empty "
            "string, NaN and Infinity) scores 0."
        ),
        default_threshold=100,
        inputs=("output", "golden_answer"),
        args=(
            Arg("ignore_order", "boolean", default=False, description="Ignore the order of array items."),
            Arg(
                "ignore_extra_keys",
                "boolean",
                default=False,
                description="Ignore object keys that appear only in the output.",
            ),
        ),
        is_active=True,
        scorer=score_json_equal,
        linear_when=_ordered,
    ),
    MetricSpec(
        id=11,
        shortname="is_valid_json",
        name="Is valid JSON",
        category=STRUCTURAL,
        description=(
            "Passes when the output parses as JSON (any JSON value, surrounding whitespace allowed). "
            "Empty output, NaN and Infinity fail."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(),
        is_active=True,
        scorer=score_is_valid_json,
        linear_when=always,
    ),
    MetricSpec(
        id=15,
        shortname="json_schema_match",
        name="JSON schema match",
        category=STRUCTURAL,
        description=(
            "Passes when the output is valid JSON that conforms to `schema` under the chosen validator. Without a "
            "schema the score is always 0. The boolean schemas true and false are schemas too. Formats are not "
            "asserted; patterns run on the regex engine, which knows Unicode property escapes such as \\p{Letter}. "
            "An invalid schema is refused with 400 when the arguments are checked, so it is never scored. A $ref "
            "must point inside the schema: remote and file references are never fetched, and following one makes "
            "that evaluation an error."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(
            Arg(
                "schema",
                "object|boolean",
                description=(
                    "The JSON Schema the output must satisfy (an object, or true/false). A schema that is not valid "
                    "for the chosen validator is refused with 400, like any invalid argument."
                ),
            ),
            Arg(
                "validator",
                "string",
                default="Draft7Validator",
                choices=VALIDATORS,
                description="JSON Schema draft used to validate.",
            ),
        ),
        is_active=True,
        scorer=score_json_schema_match,
        args_check=schema_problems,
    ),
]
