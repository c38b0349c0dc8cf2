"""The one validator for metric arguments.

Typing is strict and JSON-level: true/false is a boolean and never a number, "true" is a string and never a
boolean, an integer is never 2.0, and numbers must be finite.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

from metrics.registry.base import MetricSpec

TYPE_PHRASES = {
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "object": "an object",
    "array": "an array",
}


class MetricArgsError(ValueError):
    """Bad metric arguments. `messages` lists every problem, each naming the metric and the argument."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


def json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _is_type(value: Any, type_name: str) -> bool:
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return not isinstance(value, float) or math.isfinite(value)
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "object":
        return isinstance(value, dict) and all(isinstance(key, str) for key in value)
    if type_name == "array":
        return isinstance(value, list)
    raise ValueError(f"unknown argument type {type_name!r}")


def _type_phrase(type_name: str) -> str:
    return " or ".join(TYPE_PHRASES.get(part, part) for part in type_name.split("|"))


def _non_finite(value: Any, path: str = "") -> str | None:
    """Where a nested value holds inf or NaN (no JSON can store them), as `[0]["key"]`, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "the value"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _non_finite(item, f"{path}[{key!r}]")
        if found is not None:
            return found
    return None


def _value_problem(arg, value: Any) -> str | None:
    """Why `value` is not acceptable for `arg`, or None when it is."""
    if not any(_is_type(value, part) for part in arg.type.split("|")):
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be {_type_phrase(arg.type)}, got {value} (not a finite number)"
        return f"must be {_type_phrase(arg.type)}, got {json_type_name(value)}"
    if isinstance(value, dict | list) and (where := _non_finite(value)) is not None:
        return f"must hold only finite numbers, not inf or NaN (at {where})"
    if arg.choices is not None and not any(type(value) is type(choice) and value == choice for choice in arg.choices):
        allowed = ", ".join(repr(choice) for choice in arg.choices)
        return f"must be one of {allowed}, got {value!r}"
    if arg.minimum is not None and isinstance(value, int | float) and value < arg.minimum:
        return f"must be at least {arg.minimum:g}, got {value}"
    if arg.item_type is not None and isinstance(value, list):
        for index, item in enumerate(value):
            if not _is_type(item, arg.item_type):
                return f"item {index} must be {_type_phrase(arg.item_type)}, got {json_type_name(item)}"
    if arg.check is not None:
        return arg.check(value)
    return None


def _combination_problems(spec: MetricSpec, values: Mapping[str, Any]) -> list[str]:
    problems = []
    low, high = values.get("min_count"), values.get("max_count")
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        problems.append(f"argument 'min_count' ({low}) is greater than 'max_count' ({high})")
    if spec.args_check is not None:
        problems.extend(spec.args_check(values))
    return problems


def _prefix(spec: MetricSpec) -> str:
    return f"metric {spec.id} ({spec.shortname}): "


def _check_layer(spec: MetricSpec, args: Mapping | None) -> tuple[dict, list[str]]:
    if args is None:
        return {}, []
    if not isinstance(args, Mapping):
        return {}, [f"{_prefix(spec)}metric_args must be an object, got {json_type_name(args)}"]
    values: dict = {}
    problems: list[str] = []
    for name, value in args.items():
        arg = spec.arg(name) if isinstance(name, str) else None
        if arg is None:
            problems.append(f"{_prefix(spec)}unknown argument {name!r}")
            continue
        problem = _value_problem(arg, value)
        if problem:
            problems.append(f"{_prefix(spec)}argument {name!r} {problem}")
            continue
        values[name] = copy.deepcopy(value)
    if not problems:
        # Cross-argument rules see the layer on top of the defaults, e.g. a schema is checked with the default
        # validator when the layer does not choose one.
        merged = {**_defaults(spec), **values}
        problems.extend(_prefix(spec) + problem for problem in _combination_problems(spec, merged))
    return values, problems


def _defaults(spec: MetricSpec) -> dict:
    return {arg.name: copy.deepcopy(arg.default) for arg in spec.args if arg.has_default}


def check_args(spec: MetricSpec, args: Mapping | None) -> dict:
    """Validate one layer of arguments (it may be partial) and return a plain dict copy of it."""
    values, problems = _check_layer(spec, args)
    if problems:
        raise MetricArgsError(problems)
    return values


def resolve_args(spec: MetricSpec, *layers: Mapping | None) -> dict:
    """Defaults first, then each layer on top (later wins). Returns the effective arguments.

    Arguments with no default that no layer supplies are left out.
    """
    effective = _defaults(spec)
    problems: list[str] = []
    for layer in layers:
        values, layer_problems = _check_layer(spec, layer)
        problems.extend(layer_problems)
        effective.update(values)
    for arg in spec.args:
        if arg.required and arg.name not in effective:
            problems.append(f"{_prefix(spec)}argument {arg.name!r} is required")
    if not problems:
        problems.extend(_prefix(spec) + problem for problem in _combination_problems(spec, effective))
    if problems:
        raise MetricArgsError(list(dict.fromkeys(problems)))
    return effective
