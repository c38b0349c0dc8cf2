"""The OpenAPI document states the rules the server enforces: what it refuses is outside the schema."""

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text())


def component(schema, name: str) -> dict:
    return schema["components"]["schemas"][name]["properties"]


def parameters(schema, path: str, method: str = "get") -> dict:
    return {item["name"]: item["schema"] for item in schema["paths"][path][method]["parameters"]}


def test_lists_that_may_not_be_empty_say_so(schema):
    assert component(schema, "RunCustomCreateInputRequest")["evaluations"]["minItems"] == 1
    block = component(schema, "CustomEvaluationBlockInputRequest")
    assert block["data"]["minItems"] == 1
    assert block["metrics"]["minItems"] == 1
    assert component(schema, "DatasetUpdateInputRequest")["selected_metrics"]["minProperties"] == 1


@pytest.mark.parametrize(
    "name", ["DataCollectionCreateInputRequest", "DataCollectionUpdateInputRequest", "DatasetUpdateInputRequest"]
)
def test_names_state_the_name_rule(schema, name):
    field = component(schema, name)["name"]
    assert (field["minLength"], field["maxLength"], field["pattern"]) == (1, 255, r"\S")
    assert "oneOf" not in field  # no blank alternative


def test_a_blank_model_slug_or_metric_is_outside_the_schema_at_every_level(schema):
    run = component(schema, "RunCustomCreateInputRequest")
    block = component(schema, "CustomEvaluationBlockInputRequest")
    shortname, metric_object = block["metrics"]["items"]["oneOf"]
    assert run["model_slug"]["minLength"] == block["model_slug"]["minLength"] == 1
    assert shortname["minLength"] == metric_object["properties"]["metric"]["minLength"] == 1
    assert metric_object["properties"]["model_slug"]["minLength"] == 1
    assert component(schema, "EvaluateInputRequest")["model_slug"]["minLength"] == 1
    assert component(schema, "RunDatasetCreateInputRequest")["model_slug"]["minLength"] == 1


def test_free_form_arguments_are_typed_and_nullable(schema):
    assert component(schema, "EvaluateInputRequest")["metric_args"] == {"type": "object", "nullable": True}
    dataset_run_args = component(schema, "RunDatasetCreateInputRequest")["metric_args"]
    assert dataset_run_args["additionalProperties"] == {"type": "object", "nullable": True}
    mappings = component(schema, "DatasetUpdateInputRequest")["column_mappings"]
    assert mappings["nullable"] is True and mappings["additionalProperties"] is False


def test_integer_and_boolean_query_parameters_are_typed_and_bounded(schema):
    listed = parameters(schema, "/api/v1/datasets")
    assert listed["dataset_type_id"] == {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999}
    assert listed["shared"] == {"type": "boolean"}
    assert listed["page"]["type"] == listed["page_size"]["type"] == "integer"
    assert listed["search"] == {"type": "string", "maxLength": 255}
    records = parameters(schema, "/api/v1/datasets/{id}/records")
    assert records["after_id"]["maximum"] == 999_999_999_999_999_999


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/runs/custom", "post"),
        ("/api/v1/evaluate", "post"),
        ("/api/v1/datasets/{id}", "put"),
        ("/api/v1/data-collections", "post"),
        ("/api/v1/datasets", "post"),
    ],
)
def test_every_body_documents_its_413(schema, path, method):
    assert "413" in schema["paths"][path][method]["responses"]
