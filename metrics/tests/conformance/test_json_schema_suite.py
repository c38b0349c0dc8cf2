"""JSON-Schema-Test-Suite (draft 7 and 2020-12, required tests, remote references left out), through
json_schema_match."""

import json

import pytest

from .suites import json_schema_cases, score

CASES = list(json_schema_cases())


@pytest.mark.parametrize("validator,schema,instance,valid", [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_suite_case(validator, schema, instance, valid):
    scored = score("json_schema_match", json.dumps(instance), schema=schema, validator=validator)
    assert scored.result == (100.0 if valid else 0.0), scored.explanation


def test_the_suite_is_all_there():
    # Every required case without a remote reference: a suite that silently lost files would pass every remaining case.
    assert len(CASES) == 2084
