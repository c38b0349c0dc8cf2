"""JSON Schema validators that treat the user's schema as data.

- `$ref` resolves only inside the given schema (and the bundled meta-schemas): the registry's retrieve refuses
  every other URI, so no schema makes the evaluator fetch a URL or read a file.
- `pattern`, `patternProperties` and the keywords that consult patternProperties (`additionalProperties`,
  `unevaluatedProperties`) run on the timeout-capable `regex` engine under the compile bounds of
  registry.patterns, instead of the stdlib engine, which has no timeout.
- Checking a schema (argument validation, inside a request) compiles its patterns under the same bounds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import Any, NoReturn, cast

import jsonschema  # type: ignore[import-untyped]
import referencing
import referencing.exceptions
from jsonschema import ValidationError, validators

from .base import JSON, MetricInputError
from .patterns import PatternError, compile_pattern, run_pattern


def _refuse(uri: str) -> NoReturn:
    """Called for a $ref that points outside the schema, instead of fetching it."""
    # referencing's attrs classes declare __init__ by a __dataclass_transform__ that mypy does not read
    raise referencing.exceptions.NoSuchResource(ref=uri)  # type: ignore[call-arg]


REGISTRY: referencing.Registry[Any] = referencing.Registry(retrieve=_refuse)  # type: ignore[call-arg]  # as above


def _search(pattern: str, text: str) -> bool:
    return run_pattern(f"schema pattern {pattern[:100]!r}", "search", pattern, text) is not None


def _matches_any(patterns: Iterable[str], name: str) -> bool:
    return any(_search(pattern, name) for pattern in patterns)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, pattern_properties: dict[str, Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional(instance: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    return [key for key in instance if key not in properties and not _matches_any(patterns, key)]


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    extras = _additional(instance, schema)
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        joined = ", ".join(repr(extra) for extra in sorted(extras))
        if "patternProperties" in schema:
            patterns = ", ".join(repr(pattern) for pattern in sorted(schema["patternProperties"]))
            verb = "does" if len(extras) == 1 else "do"
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            verb = "was" if len(extras) == 1 else "were"
            yield ValidationError(f"Additional properties are not allowed ({joined} {verb} unexpected)")


def _is_valid(errors: Iterator[ValidationError]) -> bool:
    return next(errors, None) is None


def _evaluated_keys(validator: Any, instance: dict[str, JSON], schema: Any) -> set[str]:
    """Keys evaluated by `schema` (draft 2020-12 annotation rules), as jsonschema computes them for
    unevaluatedProperties, with patterns matched by the bounded engine."""
    if validator.is_type(schema, "boolean"):
        return set()
    keys: set[str] = set()
    for keyword in ("$ref", "$dynamicRef"):
        reference = schema.get(keyword)
        if reference is not None:
            resolved = validator._resolver.lookup(reference)
            target = validator.evolve(schema=resolved.contents, _resolver=resolved.resolver)
            keys |= _evaluated_keys(target, instance, resolved.contents)
    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        keys |= properties.keys() & instance.keys()
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        subschema = schema.get(keyword)
        if subschema is not None:
            keys |= {key for key, value in instance.items() if _is_valid(validator.descend(value, subschema))}
    if "patternProperties" in schema:
        keys |= {key for key in instance if _matches_any(schema["patternProperties"], key)}
    for name, subschema in schema.get("dependentSchemas", {}).items():
        if name in instance:
            keys |= _evaluated_keys(validator, instance, subschema)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for subschema in schema.get(keyword, []):
            if _is_valid(validator.descend(instance, subschema)):
                keys |= _evaluated_keys(validator, instance, subschema)
    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            keys |= _evaluated_keys(validator, instance, schema["if"])
            if "then" in schema:
                keys |= _evaluated_keys(validator, instance, schema["then"])
        elif "else" in schema:
            keys |= _evaluated_keys(validator, instance, schema["else"])
    return keys


def _unevaluated_properties(validator: Any, unevaluated: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    evaluated = _evaluated_keys(validator, instance, schema)
    invalid = [
        key
        for key in instance
        if key not in evaluated
        and not _is_valid(validator.descend(instance[key], unevaluated, path=key, schema_path=key))
    ]
    if invalid:
        verb = "was" if len(invalid) == 1 else "were"
        joined = ", ".join(repr(key) for key in sorted(invalid, key=str))
        if unevaluated is False:
            yield ValidationError(f"Unevaluated properties are not allowed ({joined} {verb} unexpected)")
        else:
            yield ValidationError(
                f"Unevaluated properties are not valid under the given schema ({joined} {verb} unevaluated and invalid)"
            )


def _bounded_regex_format(instance: Any) -> bool:
    if isinstance(instance, str):
        compile_pattern(instance)
    return True


@cache
def validator_class(name: str) -> type[Any]:
    """The named draft's validator with the pattern keywords replaced (see the module docstring)."""
    base = getattr(jsonschema, name)
    keywords = {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    }
    if "unevaluatedProperties" in base.VALIDATORS:
        keywords["unevaluatedProperties"] = _unevaluated_properties
    return cast("type[Any]", validators.extend(base, keywords))


@cache
def _schema_format_checker(name: str) -> jsonschema.FormatChecker:
    """The draft's own format checker for meta-schema validation, with `regex` compiled under the bounds."""
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = {**getattr(jsonschema, name).FORMAT_CHECKER.checkers}
    checker.checkers["regex"] = (_bounded_regex_format, PatternError)
    return checker


def schema_problem(schema: Any, name: str) -> str | None:
    """Why `schema` is not a usable `name` schema, or None."""
    try:
        getattr(jsonschema, name).check_schema(schema, format_checker=_schema_format_checker(name))
    except jsonschema.SchemaError as exc:
        if isinstance(exc.cause, PatternError):
            shown = repr(exc.instance) if len(exc.instance) <= 100 else repr(exc.instance[:100]) + "..."
            reason = str(exc.cause) if exc.cause.invalid else f"is not accepted: it {exc.cause}"
            return f"pattern {shown} {reason}"
        message: str = exc.message
        return message if len(message) <= 300 else message[:300] + "..."
    except RecursionError:
        return "it is nested too deeply"
    return None


@lru_cache(maxsize=32)
def _validator(name: str, schema_json: str) -> Any:  # a jsonschema validator (the library is untyped)
    return validator_class(name)(json.loads(schema_json), registry=REGISTRY)


def first_error(schema: Any, name: str, instance: Any) -> ValidationError | None:
    """The most relevant validation error of `instance`, or None when it conforms.

    Raises MetricInputError when the schema is unusable (a $ref outside it, a refused or slow pattern).
    """
    if problem := schema_problem(schema, name):
        raise MetricInputError(f"schema is not valid: {problem}")
    validator = _validator(name, json.dumps(schema))
    try:
        return jsonschema.exceptions.best_match(validator.iter_errors(instance))
    except referencing.exceptions.Unresolvable as exc:
        reference = getattr(exc, "ref", None)
        where = f" ({str(reference)[:200]})" if reference else ""
        raise MetricInputError(
            f"schema has a $ref that cannot be resolved inside the schema{where}; references are never fetched"
        ) from None
    except jsonschema.exceptions.UnknownType as exc:
        raise MetricInputError(f"schema uses an unknown type: {exc.type}") from None
