"""Each response builder against its OpenAPI component: the document promises what the code sends.

The schema is generated here, as the API serves it; each builder's real output for real rows, rendered to JSON
the way the API renders it, must validate against its component, with every `required` key present, nulls only
where the component allows them, and no key the component does not describe.
"""

import copy
from datetime import datetime

import jsonschema
import orjson
import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.representation import user_ref
from aegis.jsonstream import dumps
from collections_app.representation import collection_dataset, collection_object
from datasets.models import Dataset
from datasets.representation import dataset_summary
from datasets.tests.helpers import body
from datasets.versions import dataset_versions, version_item
from runs.compare import comparison_for, comparison_summary
from runs.models import Evaluation, Run
from runs.representation import evaluate_output, run_object, run_progress, run_summary
from runs.selectors import dataset_run_summaries, run_evaluations
from runs.tests.helpers import custom_run, dataset_run, make_dataset
from workspace.collection_selectors import collection_get_visible

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def components(django_db_blocker):
    with django_db_blocker.unblock():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    return orjson.loads(orjson.dumps(schema, default=str))["components"]["schemas"]


def strict(node):
    """OpenAPI 3.0 to JSON Schema: `nullable` becomes a null alternative, and objects admit only their properties."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strict(value) for key, value in node.items()}
    if "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


formats = jsonschema.FormatChecker()


@formats.checks("date-time", raises=ValueError)
def is_api_timestamp(value) -> bool:
    # The API's format: UTC, `Z`, whole seconds (REST_FRAMEWORK["DATETIME_FORMAT"]).
    return not isinstance(value, str) or (
        len(value) == 20 and value.endswith("Z") and bool(datetime.fromisoformat(value))
    )


def check(components, name: str, value) -> None:
    wire = orjson.loads(dumps(value))
    root = {"components": {"schemas": strict(copy.deepcopy(components))}}
    validator = jsonschema.Draft202012Validator(
        {**root, "$ref": f"#/components/schemas/{name}"}, format_checker=formats
    )
    problems = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(wire)]
    assert not problems, f"{name}: " + "; ".join(problems)


@pytest.fixture
def world(alice, alice_api, acme, acme_org_only):
    """A dataset with two finished runs (the second against the first as baseline), in a shared collection, a
    custom run with no dataset, an /evaluate call and an org-only dataset (no owner)."""
    dataset_id = make_dataset(alice_api)["id"]
    base = body(dataset_run(alice_api, dataset_id, is_blocking=True, alias="base"))
    head = body(dataset_run(alice_api, dataset_id, is_blocking=True, alias="head"))
    assert (
        alice_api.put(f"/api/v1/datasets/{dataset_id}", {"baseline_run_id": base["id"]}, format="json").status_code
        == 200
    )
    created = alice_api.post("/api/v1/data-collections", {"name": "Team", "dataset_ids": [dataset_id]}, format="json")
    assert created.status_code == 201
    assert (
        alice_api.put(f"/api/v1/data-collections/{body(created)['id']}", {"org_id": acme.pk}, format="json").status_code
        == 200
    )
    custom = custom_run(
        alice_api, is_blocking=True, evaluations=[{"metrics": ["exact_match"], "data": [{"output": "a"}]}]
    )
    assert custom.status_code == 201
    fields = {"prompt": None, "input": "i", "context": None, "output": "ok", "golden_answer": "ok"}
    evaluated = alice_api.post("/api/v1/evaluate", {"metric_shortname": "exact_match", **fields}, format="json")
    assert evaluated.status_code == 201, body(evaluated)
    return {
        "user": alice,
        "dataset": Dataset.objects.get(pk=dataset_id),
        "org_only": Dataset.objects.get(pk=acme_org_only["id"]),
        "collection_id": body(created)["id"],
        "base": Run.objects.get(pk=base["id"]),
        "head": Run.objects.get(pk=head["id"]),
        "custom": Run.objects.get(pk=body(custom)["id"]),
        "evaluation": Evaluation.objects.get(pk=body(evaluated)["id"]),
        "fields": fields,
    }


def cases(world):
    """(component, builder output) for every builder, with owned and org-only, dataset and custom rows."""
    dataset, head, custom, user = world["dataset"], world["head"], world["custom"], world["user"]
    collection = collection_get_visible(user=user, collection_id=world["collection_id"])
    summaries = dataset_run_summaries(user, dataset.pk, baseline_run_id=world["base"].pk)
    assert any("baseline_mean_delta" in summary for summary in summaries)
    yield "UserRefOut", user_ref(user)
    yield "DatasetSummaryOut", dataset_summary(dataset)
    yield "DatasetSummaryOut", dataset_summary(world["org_only"])
    yield "DatasetVersionOut", version_item(dataset_versions(dataset)[0])
    yield "DataCollectionOut", collection_object(collection)
    yield "CollectionDatasetOut", collection_dataset(collection.visible_datasets[0])
    for run in (head, custom):
        yield "RunListItemOut", run_object(run)
        yield "RunMinimalOut", run_object(run)
        yield "RunSummaryOut", run_summary(run)
        yield "RunProgressOut", run_progress(run)["progress"]
    for summary in summaries:
        yield "RunSummaryOut", summary
    for item in run_evaluations(head.pk):
        yield "EvaluationOut", item
    yield "EvaluateOut", evaluate_output(world["evaluation"], world["fields"])
    yield "CompareSummaryOut", comparison_summary(comparison_for(user=user, base_id=world["base"].pk, head_id=head.pk))


BUILT = [
    "UserRefOut",
    "DatasetSummaryOut",
    "DatasetVersionOut",
    "DataCollectionOut",
    "CollectionDatasetOut",
    "RunListItemOut",
    "RunMinimalOut",
    "RunSummaryOut",
    "RunProgressOut",
    "EvaluationOut",
    "EvaluateOut",
    "CompareSummaryOut",
]


@pytest.mark.parametrize("component", BUILT)
def test_builder_output_matches_its_component(components, world, component):
    outputs = [value for name, value in cases(world) if name == component]
    assert outputs, f"no builder output for {component}"
    for value in outputs:
        check(components, component, value)


def test_the_check_catches_a_missing_key_an_extra_key_and_a_wrong_null(components, world):
    good = run_summary(world["head"])
    check(components, "RunSummaryOut", good)
    for broken in (
        {key: value for key, value in good.items() if key != "alias"},
        {**good, "surprise": 1},
        {**good, "run_type": None},
        {**good, "started_at": "2026-01-01T00:00:00.123456+00:00"},
    ):
        with pytest.raises(AssertionError):
            check(components, "RunSummaryOut", broken)
