import pytest

from accounts.ownership import org_id_of
from collections_app.models import DataCollection
from datasets.tests.helpers import body
from metrics.models import Metric
from metrics.tests.judged import without_provider_keys
from runs.models import Run, RunRecord
from runs.tests.helpers import by_metric, custom_run

pytestmark = pytest.mark.django_db

SPEC_EXAMPLE = {
    "threshold": 70,
    "model_slug": "gpt-4o",
    "is_blocking": True,
    "data_collection_id": None,
    "alias": "smoke",
    "evaluations": [
        {
            "metrics": [
                "exact_match",
                {"metric": "json_equal", "metric_args": {"ignore_order": True}, "threshold": 100, "model_slug": None},
            ],
            "threshold": None,
            "model_slug": None,
            "data": [{"prompt": None, "input": None, "context": None, "output": "ok", "golden_answer": "ok"}],
        }
    ],
}


def evaluate(client, **fields):
    return client.post("/api/v1/evaluate", fields, format="json")


# Custom runs


def test_spec_example_creates_a_custom_run(alice_api):
    response = custom_run(alice_api, **SPEC_EXAMPLE)

    assert response.status_code == 201
    run = body(response)
    assert run["run_type"] == "Custom"
    assert run["dataset"] is None
    assert run["alias"] == "smoke"
    assert run["org_id"] is None
    metrics = by_metric(run)
    assert metrics["exact_match"][0]["result"] == 100.0
    assert metrics["json_equal"][0]["result"] == 0.0  # "ok" is not JSON
    assert metrics["json_equal"][0]["threshold"] == 100
    assert metrics["json_equal"][0]["metric_args"] == {"ignore_order": True, "ignore_extra_keys": False}
    assert run["aggregate_results"] == {"exact_match": 100.0, "json_equal": 0.0}
    assert run["result"] == 50.0
    assert run["is_gte_threshold"] is False  # 50 < the run threshold 70
    assert run["evaluations"][0]["record"]["id"] == RunRecord.objects.get().pk


def test_threshold_and_model_precedence_is_metric_then_block_then_top_then_default(alice_api):
    evaluations = [
        {"metrics": [{"metric": "exact_match", "threshold": 10, "model_slug": "o4-mini"}], "data": [{"output": "a"}]},
        {"metrics": ["exact_match"], "threshold": 20, "model_slug": "gpt-4o-mini", "data": [{"output": "a"}]},
        {"metrics": ["exact_match"], "data": [{"output": "a"}]},
    ]
    with_top = body(custom_run(alice_api, threshold=30, model_slug="gemini-2.5-flash", evaluations=evaluations))
    without_top = body(custom_run(alice_api, evaluations=evaluations[2:]))

    assert [(e["threshold"], e["model_slug"]) for e in with_top["evaluations"]] == [
        (10, "o4-mini"),
        (20, "gpt-4o-mini"),
        (30, "gemini-2.5-flash"),
    ]
    assert (without_top["evaluations"][0]["threshold"], without_top["evaluations"][0]["model_slug"]) == (100, "gpt-4o")


def test_every_metric_applies_to_every_row_of_its_block(alice_api):
    rows = [{"output": "1", "golden_answer": "1"}, {"output": "2", "golden_answer": "3"}]
    run = body(
        custom_run(alice_api, is_blocking=True, evaluations=[{"metrics": ["exact_match", "is_numeric"], "data": rows}])
    )
    assert sorted((e["metric"], e["record_index"]) for e in run["evaluations"]) == [
        ("exact_match", 0),
        ("exact_match", 1),
        ("is_numeric", 0),
        ("is_numeric", 1),
    ]
    assert run["number_of_metrics"] == 2


def test_whitespace_in_rows_is_kept(alice_api):
    run = body(
        custom_run(
            alice_api,
            is_blocking=True,
            evaluations=[{"metrics": ["exact_match"], "data": [{"output": " ok", "golden_answer": "ok"}]}],
        )
    )
    assert run["evaluations"][0]["result"] == 0.0
    assert RunRecord.objects.get().output == " ok"


def test_generated_custom_alias(alice_api):
    run = body(custom_run(alice_api, evaluations=[{"metrics": ["exact_match"], "data": [{"output": "a"}]}]))
    assert run["alias"].startswith("custom-run 20")


@pytest.mark.parametrize(
    "evaluations",
    [
        [],
        [{"metrics": ["no_such_metric"], "data": [{"output": "a"}]}],
        [{"metrics": [{"metric": "exact_match", "metric_args": {"bogus": 1}}], "data": [{"output": "a"}]}],
        [{"metrics": ["ans_corr"], "data": [{"output": "a"}]}],
    ],
    ids=["empty", "unknown shortname", "bad args", "inactive metric"],
)
def test_custom_run_rule_violations_are_400(alice_api, evaluations, monkeypatch):
    without_provider_keys(monkeypatch)  # ans_corr is judged: inactive only while its model has no key
    assert custom_run(alice_api, evaluations=evaluations).status_code == 400
    assert not Run.objects.exists()


def test_custom_run_with_unknown_model_is_404(alice_api):
    evaluations = [{"metrics": [{"metric": "exact_match", "model_slug": "nope"}], "data": [{"output": "a"}]}]
    assert custom_run(alice_api, evaluations=evaluations).status_code == 404


def test_custom_run_with_no_metrics_at_all_is_404(alice_api):
    assert custom_run(alice_api, evaluations=[{"metrics": [], "data": [{"output": "a"}]}]).status_code == 404


def test_custom_run_with_invisible_collection_is_404(alice_api, carol):
    collection = DataCollection.objects.create(name="Theirs", user=carol, author_email=carol.email)
    evaluations = [{"metrics": ["exact_match"], "data": [{"output": "a"}]}]
    assert custom_run(alice_api, data_collection_id=collection.pk, evaluations=evaluations).status_code == 404


def test_custom_run_in_an_org_shared_collection_is_shared(alice_api, alice):
    collection = DataCollection.objects.create(
        name="Team", user=alice, org_id=org_id_of(alice), author_email=alice.email
    )
    evaluations = [{"metrics": ["exact_match"], "data": [{"output": "a"}]}]
    run = body(custom_run(alice_api, data_collection_id=collection.pk, evaluations=evaluations))
    assert run["org_id"] == org_id_of(alice)
    assert run["data_collection"] == "Team"


def test_custom_run_bad_shape_is_422(alice_api):
    assert custom_run(alice_api, evaluations=[{"metrics": [42], "data": [{"output": "a"}]}]).status_code == 422
    assert custom_run(alice_api, evaluations=[{"metrics": ["exact_match"], "data": []}]).status_code == 422
    assert custom_run(alice_api).status_code == 422


def test_custom_run_duplicate_alias_is_400(alice_api):
    evaluations = [{"metrics": ["exact_match"], "data": [{"output": "a"}]}]
    assert custom_run(alice_api, alias="same", evaluations=evaluations).status_code == 201
    assert custom_run(alice_api, alias="same", evaluations=evaluations).status_code == 400


# Single evaluation


def test_evaluate_scores_one_row_inside_an_implicit_run(alice_api):
    response = evaluate(
        alice_api, metric_shortname="exact_match", threshold=70, prompt="What is 2+2?", output="4", golden_answer="4"
    )

    assert response.status_code == 201
    result = body(response)
    assert result["result"] == 100.0
    assert result["is_success"] is True
    assert result["is_gte_threshold"] is True
    assert result["threshold"] == 70
    assert result["model_slug"] == "gpt-4o"
    assert result["prompt"] == "What is 2+2?"
    assert result["input"] is None
    assert result["evaluation_cost"] == "0"
    assert result["eval_metadata"] is None
    assert result["metric_shortname"] == "exact_match"
    run = Run.objects.get(pk=result["run_id"])
    assert run.run_type == Run.RunType.CUSTOM
    assert run.finished_at is not None


def test_evaluate_twice_in_one_second_gives_two_runs(alice_api):
    first = body(evaluate(alice_api, metric_shortname="exact_match", output="a", golden_answer="a"))
    second = body(evaluate(alice_api, metric_shortname="exact_match", output="a", golden_answer="a"))
    assert first["run_id"] != second["run_id"]


def test_evaluate_uses_the_metric_default_threshold(alice_api):
    assert body(evaluate(alice_api, metric_shortname="bleu", output="a b", golden_answer="a b"))["threshold"] == 70


def test_evaluate_row_that_cannot_be_scored_is_not_successful(alice_api):
    result = body(evaluate(alice_api, metric_shortname="exact_match", output="a"))
    assert (result["is_success"], result["result"], result["is_gte_threshold"]) == (False, None, None)
    assert "golden_answer" in result["explanation"]


def test_evaluate_unknown_shortname_is_404(alice_api):
    assert evaluate(alice_api, metric_shortname="nope", output="a").status_code == 404


def test_evaluate_inactive_metric_is_400(alice_api):
    Metric.objects.filter(shortname="exact_match").update(is_active=False)
    assert evaluate(alice_api, metric_shortname="exact_match", output="a").status_code == 400


def test_evaluate_bad_args_is_400_and_unknown_model_404(alice_api):
    assert evaluate(alice_api, metric_shortname="exact_match", metric_args={"x": 1}).status_code == 400
    assert evaluate(alice_api, metric_shortname="exact_match", model_slug="nope").status_code == 404


def test_evaluate_without_shortname_is_422(alice_api):
    assert evaluate(alice_api, output="a").status_code == 422


def test_models_lists_the_catalog(alice_api, anon_api):
    response = alice_api.get("/api/v1/models")
    assert response.status_code == 200
    slugs = {model["slug"]: model for model in response.json()}
    assert slugs["gpt-4o"]["supplier"] == "OpenAI"
    assert set(slugs["o4-mini"]) == {
        "id", "slug", "name", "supplier", "provider", "input_cost_per_million_tokens", "output_cost_per_million_tokens",
    }  # fmt: skip
    assert anon_api.get("/api/v1/models").status_code == 401
