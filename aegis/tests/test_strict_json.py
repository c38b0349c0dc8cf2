"""The one strict JSON decoder: depth, storable text and duplicate keys, each refusal naming the JSON path."""

import json

import pytest

from aegis.jsonparts import JsonProblem, loads_strict

pytestmark = [pytest.mark.urls("aegis.tests.urls")]


def nested(depth: int, leaf: str = "0") -> str:
    return "[" * depth + leaf + "]" * depth


def problem(text: str, **kwargs) -> JsonProblem:
    with pytest.raises(JsonProblem) as caught:
        loads_strict(text, **kwargs)
    return caught.value


def test_a_document_within_the_bounds_decodes_unchanged():
    document = {"a": [1, 2.5, None, True, "é", {"b": "c"}], "d": {}}
    assert loads_strict(json.dumps(document)) == document
    assert loads_strict(nested(64)) is not None


def test_nul_in_a_nested_string_is_named_by_its_path():
    found = problem(json.dumps({"metric_args": [{}, {"pattern": "a\x00b"}]}))
    assert found.path == "metric_args.1.pattern"
    assert "U+0000" in found.message


def test_nul_in_a_key_is_named_with_the_key_escaped():
    found = problem('{"column_mappings": {"pro\\u0000mpt": "q"}}')
    assert found.path == "column_mappings.pro\\u0000mpt"


def test_an_unpaired_surrogate_is_refused_like_nul():
    assert problem('{"name": "\\ud800"}').path == "name"


def test_a_surrogate_pair_is_ordinary_text():
    assert loads_strict('{"name": "\\ud83d\\ude00"}') == {"name": "\U0001f600"}


def test_one_level_past_the_bound_is_refused_with_its_path():
    found = problem(json.dumps({"a": json.loads(nested(64))}))
    assert found.path == "a" + ".0" * 63
    assert "MAX_JSON_DEPTH" in found.message


def test_the_bound_is_the_argument_when_given():
    assert problem(nested(3), max_depth=2).path == "0.0"


def test_far_too_deep_for_the_decoder_is_refused_not_a_recursion_error():
    found = problem('{"column_mappings": ' + nested(100_000) + "}")
    assert found.path == "column_mappings" + ".0" * 63
    assert "nested deeper than 64" in found.message


def test_far_too_deep_in_objects_names_the_keys():
    found = problem('{"a": ' + '{"k": ' * 100_000 + "1" + "}" * 100_001)
    assert found.path == "a" + ".k" * 63


@pytest.mark.parametrize("text", ['{"a": 1, "a": 2}', '{"a": NaN}', '{"a": Infinity}', "{not json"])
def test_duplicate_keys_constants_and_bad_syntax_are_refused(text):
    assert problem(text).message.startswith("not valid JSON")


def test_body_nul_is_422_naming_the_path(alice_api):
    response = alice_api.post("/api/v1/shape", {"count": 1, "extra": {"x": ["ok", "\x00"]}}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "extra.x.1": ["must not contain U+0000 (NUL) or an unpaired surrogate: the database cannot store them."]
    }


def test_body_nested_100000_levels_is_422_not_500(alice_api):
    response = alice_api.post(
        "/api/v1/shape", data='{"count": ' + nested(100_000) + "}", content_type="application/json"
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["count" + ".0" * 63]


def test_body_with_duplicate_keys_is_422(alice_api):
    response = alice_api.post("/api/v1/shape", data='{"count": 1, "count": 2}', content_type="application/json")
    assert response.status_code == 422
    assert "duplicate key 'count'" in response.json()["detail"]


def test_body_that_is_not_utf8_is_422(alice_api):
    response = alice_api.post("/api/v1/shape", data=b'{"count": "\xff"}', content_type="application/json")
    assert response.status_code == 422
    assert "utf-8" in response.json()["detail"]


def test_body_over_max_json_body_bytes_is_413_before_it_is_read(alice_api, settings):
    settings.MAX_JSON_BODY_BYTES = 100
    response = alice_api.post("/api/v1/shape", {"count": 1, "pad": "x" * 200}, format="json")
    assert response.status_code == 413
    assert "MAX_JSON_BODY_BYTES" in response.json()["detail"]


def test_body_at_the_limit_is_accepted(alice_api, settings):
    payload = json.dumps({"count": 1})
    settings.MAX_JSON_BODY_BYTES = len(payload)
    assert alice_api.post("/api/v1/shape", data=payload, content_type="application/json").status_code == 200
