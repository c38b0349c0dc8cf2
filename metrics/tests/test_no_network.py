"""Metric arguments are data: no schema, DTD or entity makes an evaluation open a connection or read a file.

Each case runs twice: in this process (the registry code itself never fetches) and in the evaluator pool (as runs
score). The loopback servers record any request, so "no request" is observed, not assumed.
"""

import pytest

from metrics import bounded
from metrics.args import resolve_args
from metrics.registry import MetricInputError, by_shortname
from metrics.tests.loopback import recording_server, silent_server  # noqa: F401 - fixtures

XSD = "http://www.w3.org/2001/XMLSchema"


def in_process(spec, fields, args):
    try:
        score = spec.score(fields, args)
    except MetricInputError as exc:
        return None, str(exc), False
    return score.result, score.explanation, True


@pytest.fixture(params=[in_process, bounded.score], ids=["in-process", "evaluator-pool"])
def evaluate(request):
    def run(shortname, output, golden=None, **args):
        spec = by_shortname(shortname)
        fields = {"prompt": None, "input": None, "context": None, "output": output, "golden_answer": golden}
        return request.param(spec, fields, resolve_args(spec, args))

    return run


def schema_with_ref(url):
    return {"type": "object", "properties": {"a": {"$ref": url}}}


def test_a_remote_schema_ref_is_an_evaluation_error_and_is_never_fetched(evaluate, recording_server):  # noqa: F811
    result, explanation, is_success = evaluate(
        "json_schema_match", '{"a": "x"}', schema=schema_with_ref(recording_server.url + "/x.json")
    )

    assert (result, is_success) == (None, False)
    assert "cannot be resolved inside the schema" in explanation
    assert "never fetched" in explanation
    assert recording_server.requests == []


def test_a_remote_ref_under_draft_2020_12_is_never_fetched_either(evaluate, recording_server):  # noqa: F811
    schema = {"$ref": recording_server.url + "/root.json", "unevaluatedProperties": False}

    _, explanation, is_success = evaluate("json_schema_match", "{}", schema=schema, validator="Draft202012Validator")

    assert not is_success and "never fetched" in explanation
    assert recording_server.requests == []


def test_a_ref_to_a_server_that_never_answers_does_not_hang(evaluate, silent_server):  # noqa: F811
    _, explanation, is_success = evaluate("json_schema_match", '{"a": 1}', schema=schema_with_ref(silent_server.url))

    assert not is_success and "never fetched" in explanation
    assert silent_server.connections() == 0


def test_a_file_ref_is_an_evaluation_error_and_the_file_is_not_read(evaluate, tmp_path):
    # The file would make "x" fail (it demands an integer); an error instead of a score shows it was not applied.
    target = tmp_path / "schema.json"
    target.write_text('{"type": "integer"}')

    result, explanation, is_success = evaluate(
        "json_schema_match", '{"a": "x"}', schema=schema_with_ref(target.as_uri())
    )

    assert (result, is_success) == (None, False)
    assert target.as_uri() in explanation


def test_refs_inside_the_schema_still_resolve(evaluate):
    schema = {"definitions": {"name": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/name"}}}

    assert evaluate("json_schema_match", '{"a": "x"}', schema=schema)[:1] == (100.0,)
    assert evaluate("json_schema_match", '{"a": 1}', schema=schema)[0] == 0.0


def test_a_document_with_an_external_dtd_is_refused_without_a_request(evaluate, recording_server):  # noqa: F811
    document = f'<!DOCTYPE r SYSTEM "{recording_server.url}/r.dtd"><r/>'

    for shortname in ("is_valid_xml", "xml_equal"):
        result, explanation, _ = evaluate(shortname, document, "<r/>")
        assert result == 0.0 and "DOCTYPE" in explanation
    assert recording_server.requests == []


def test_an_external_entity_is_refused_without_a_request(evaluate, recording_server):  # noqa: F811
    document = f'<!DOCTYPE r [<!ENTITY e SYSTEM "{recording_server.url}/e.txt">]><r>&e;</r>'

    result, explanation, _ = evaluate("is_valid_xml", document)

    assert result == 0.0 and "DOCTYPE" in explanation
    assert recording_server.requests == []


@pytest.mark.parametrize("element", ["include", "import", "redefine", "override"])
def test_a_schema_that_loads_another_document_is_an_error_without_a_request(evaluate, recording_server, element):  # noqa: F811
    schema = (
        f'<xs:schema xmlns:xs="{XSD}"><xs:{element} schemaLocation="{recording_server.url}/other.xsd"/>'
        '<xs:element name="r"/></xs:schema>'
    )

    result, explanation, is_success = evaluate("xml_schema_match", "<r/>", schema=schema)

    assert (result, is_success) == (None, False)
    assert f"xs:{element} is not supported" in explanation
    assert recording_server.requests == []


def test_schema_location_hints_in_the_document_are_not_followed(evaluate, recording_server):  # noqa: F811
    schema = f'<xs:schema xmlns:xs="{XSD}"><xs:element name="r"/></xs:schema>'
    document = (
        '<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:noNamespaceSchemaLocation="{recording_server.url}/r.xsd" '
        f'xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{recording_server.url}/part.xml"/></r>'
    )

    evaluate("xml_schema_match", document, schema=schema)
    evaluate("is_valid_xml", document)

    assert recording_server.requests == []
