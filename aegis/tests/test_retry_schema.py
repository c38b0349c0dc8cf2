"""The OpenAPI document states Idempotency-Key on the creates, and 429 with Retry-After on every operation."""

import pytest
import yaml
from django.core.management import call_command

CREATES = {
    ("/api/v1/datasets", "post"),
    ("/api/v1/datasets/{id}/versions", "post"),
    ("/api/v1/data-collections", "post"),
    ("/api/v1/runs/dataset", "post"),
    ("/api/v1/runs/custom", "post"),
    ("/api/v1/evaluate", "post"),
}


@pytest.fixture(scope="module")
def operations(tmp_path_factory):
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    return {(path, method): operation for path, methods in paths.items() for method, operation in methods.items()}


def header_names(operation) -> set[str]:
    return {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "header"}


def test_every_operation_lists_429_with_retry_after(operations):
    for operation in operations.values():
        assert "Retry-After" in operation["responses"]["429"]["headers"]
        assert "THROTTLE_RATE" in operation["responses"]["429"]["description"]


def test_exactly_the_creates_take_an_idempotency_key(operations):
    keyed = {name for name, operation in operations.items() if "Idempotency-Key" in header_names(operation)}
    assert keyed == CREATES


@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_create_documents_replays_and_their_errors(operations, name):
    operation = operations[name]
    [key] = [parameter for parameter in operation["parameters"] if parameter["name"] == "Idempotency-Key"]
    assert not key.get("required", False)
    assert key["schema"] == {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"}
    responses = operation["responses"]
    assert {"Idempotent-Replayed", "Location"} <= set(responses["201"]["headers"])
    assert {"Retry-After", "Location", "Idempotent-Replayed"} <= set(responses["409"]["headers"])
    assert "Idempotency-Key" in responses["409"]["description"]
    assert "Idempotency-Key" in responses["422"]["description"]
    assert "Idempotent-Replayed" in responses["400"]["headers"]
    assert "Idempotent-Replayed" not in responses["401"].get("headers", {})


def test_a_read_without_parameters_takes_no_idempotency_key_and_answers_no_422(operations):
    operation = operations[("/api/v1/dataset-types", "get")]
    assert "parameters" not in operation
    assert set(operation["responses"]) == {"200", "401", "429"}
