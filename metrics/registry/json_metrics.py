"""JSON metrics: validity, structural equality and JSON Schema conformance."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from .base import Arg, MetricSpec, Score, ensure_size, pass_fail
from .matching import has_perfect_matching

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


def _canonical(value: Any) -> str:
    """A text form in which equal JSON values (with arrays taken as unordered) are identical."""
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(key) + ":" + _canonical(value[key]) for key in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(sorted(_canonical(item) for item in value)) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value)
    return repr(float(value)) if isinstance(value, float) and not value.is_integer() else repr(int(value))


def json_matches(golden: Any, output: Any, ignore_order: bool, ignore_extra_keys: bool) -> bool:
    """True when output equals golden; extra keys only count against output when ignore_extra_keys is off."""
    if not _same_kind(golden, output):
        return False
    if isinstance(golden, dict):
        if ignore_extra_keys:
            if not golden.keys() <= output.keys():
                return False
        elif golden.keys() != output.keys():
            return False
        return all(json_matches(golden[key], output[key], ignore_order, ignore_extra_keys) for key in golden)
    if isinstance(golden, list):
        if len(golden) != len(output):
            return False
        if not ignore_order:
            return all(json_matches(g, o, ignore_order, ignore_extra_keys) for g, o in zip(golden, output, strict=True))
        if not ignore_extra_keys:
            return sorted(map(_canonical, golden)) == sorted(map(_canonical, output))
        # With extra keys allowed an output item may match several golden items, so pair them up properly.
        return has_perfect_matching(
            len(golden), lambda i, j: json_matches(golden[i], output[j], ignore_order, ignore_extra_keys)
        )
    return golden == output


def score_json_equal(record: Mapping[str, str | None], args: Mapping[str, Any]) -> Score:
    try:
        output = parse_json("output", record["output"])
        golden = parse_json("golden_answer", record["golden_answer"])
    except InvalidJson as exc:
        return pass_fail(False, str(exc))
    if json_matches(golden, output, args.get("ignore_order", False), args.get("ignore_extra_keys", False)):
        return pass_fail(True, "output JSON equals golden_answer JSON")
    return pass_fail(False, "output JSON differs from golden_answer JSON")


def score_is_valid_json(record: Mapping[str, str | None], args: Mapping[str, Any]) -> Score:
    try:
        parse_json("output", record["output"])
    except InvalidJson as exc:
        return pass_fail(False, str(exc))
    return pass_fail(True, "output is valid JSON")


@cache
def _validator_class(name: str):
    import jsonschema

    return getattr(jsonschema, name)


def schema_problems(values: Mapping[str, Any]) -> list[str]:
    """Argument check: the schema must be valid for the chosen validator."""
    schema = values.get("schema")
    validator_name = values.get("validator", "Draft7Validator")
    if schema is None or validator_name not in VALIDATORS:
        return []
    import jsonschema

    try:
        _validator_class(validator_name).check_schema(schema)
    except jsonschema.SchemaError as exc:
        return [f"argument 'schema' is not a valid {validator_name} schema: {exc.message}"]
    return []


def score_json_schema_match(record: Mapping[str, str | None], args: Mapping[str, Any]) -> Score:
    import jsonschema
    import referencing.exceptions

    schema = args.get("schema")
    if schema is None:
        return pass_fail(False, "no schema configured")
    validator_name = args.get("validator", "Draft7Validator")
    try:
        output = parse_json("output", record["output"])
    except InvalidJson as exc:
        return pass_fail(False, str(exc))
    validator_class = _validator_class(validator_name)
    try:
        validator_class.check_schema(schema)
        error = jsonschema.exceptions.best_match(validator_class(schema).iter_errors(output))
    except jsonschema.SchemaError as exc:
        return pass_fail(False, f"schema is not valid: {exc.message}")
    except referencing.exceptions.Unresolvable:
        return pass_fail(False, "schema has a $ref that cannot be resolved (remote references are never fetched)")
    except jsonschema.exceptions.UnknownType as exc:
        return pass_fail(False, f"schema uses an unknown type: {exc.type}")
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
    ),
    MetricSpec(
        id=15,
        shortname="json_schema_match",
        name="JSON schema match",
        category=STRUCTURAL,
        description=(
            "Passes when the output is valid JSON that conforms to `schema` under the chosen validator. Without a "
            "schema the score is always 0. Formats are not asserted and remote $refs are never fetched."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(
            Arg("schema", "object", description="The JSON Schema the output must satisfy."),
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
