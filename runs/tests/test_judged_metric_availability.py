"""Naming an LLM-judged metric whose model is not configured is a 400 that says what to set, before anything runs."""

import pytest

from datasets.models import Dataset
from datasets.tests.helpers import body, create
from metrics.tests.judged import use_judged_spec, without_provider_keys
from runs.models import Run
from runs.tests.helpers import custom_run, dataset_run, make_dataset

pytestmark = pytest.mark.django_db

ROW = {"input": "What is the capital of France?", "output": "Paris", "golden_answer": "Paris"}
OPENAI_HINT = "inactive: set OPENAI_API_KEY to enable LLM-judged metrics with model gpt-4o"


@pytest.fixture
def judged(monkeypatch):
    without_provider_keys(monkeypatch)
    return use_judged_spec(monkeypatch)


def assert_says_what_to_set(response, hint: str):
    assert response.status_code == 400, body(response)
    assert hint in body(response)["detail"]
    assert not Run.objects.exists()


def evaluate(client, **fields):
    return client.post("/api/v1/evaluate", {**ROW, **fields}, format="json")


def test_evaluate_without_the_default_models_key(alice_api, judged):
    response = evaluate(alice_api, metric_shortname=judged.shortname)
    assert_says_what_to_set(response, OPENAI_HINT)
    assert body(response)["errors"] == {"metric_shortname": [OPENAI_HINT]}


def test_evaluate_checks_the_named_model_not_the_default(alice_api, judged, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    response = evaluate(alice_api, metric_shortname=judged.shortname, model_slug="claude-haiku-4-5")
    assert_says_what_to_set(
        response, "inactive: set ANTHROPIC_API_KEY to enable LLM-judged metrics with model claude-haiku-4-5"
    )


def test_custom_run_without_the_key(alice_api, judged):
    response = custom_run(alice_api, evaluations=[{"metrics": [judged.shortname], "data": [ROW]}])
    assert_says_what_to_set(response, OPENAI_HINT)
    assert f"metric {judged.shortname!r} is {OPENAI_HINT}" in body(response)["errors"]["metrics"]


def test_custom_run_checks_each_metrics_own_model(alice_api, judged, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    item = {"metric": judged.shortname, "model_slug": "claude-sonnet-4-5"}
    response = custom_run(
        alice_api, model_slug="gpt-4o", evaluations=[{"metrics": ["exact_match", item], "data": [ROW]}]
    )
    assert_says_what_to_set(response, "set ANTHROPIC_API_KEY to enable LLM-judged metrics with model claude-sonnet-4-5")


def test_structural_metrics_run_without_any_key(alice_api, judged):
    response = custom_run(alice_api, is_blocking=True, evaluations=[{"metrics": ["exact_match"], "data": [ROW]}])
    assert response.status_code == 201
    assert body(response)["result"] == 100.0


def test_dataset_selecting_a_judged_metric_without_the_key(alice_api, judged):
    response = create(alice_api, metrics={str(judged.id): {"threshold": 80}})
    assert response.status_code == 400
    assert f"metric {judged.id} ({judged.shortname}) is {OPENAI_HINT}" in body(response)["detail"]
    assert not Dataset.objects.exists()


def test_dataset_run_after_the_key_is_removed(alice_api, judged, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    dataset = make_dataset(alice_api, metrics={"1": {"threshold": 70}, str(judged.id): {"threshold": 80}})
    monkeypatch.delenv("OPENAI_API_KEY")
    assert_says_what_to_set(dataset_run(alice_api, dataset["id"]), OPENAI_HINT)
