"""Strict decoding of JSON sent inside form fields: no duplicate keys, no NaN or Infinity."""

import json

from aegis.exceptions import BusinessRuleError


def _no_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constants(name):
    raise ValueError(f"{name} is not valid JSON")


def decode_json_part(text: str, field: str):
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        message = f"{field} is not valid JSON: {exc}"
        raise BusinessRuleError(message, errors={field: [message]}) from None
