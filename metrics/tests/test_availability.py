"""metric_problem: the one rule deciding whether a metric can be used now, and with which model."""

import dataclasses

import pytest

from metrics import registry
from metrics.availability import DEFAULT_MODEL_SLUG, metric_problem
from metrics.models import LlmModel, Metric
from metrics.tests.judged import use_judged_spec, without_provider_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(monkeypatch):
    without_provider_keys(monkeypatch)
    return use_judged_spec(monkeypatch)


def problem(spec, *, model_slug=None, **switch):
    metric = Metric.objects.get(pk=spec.id)
    for field, value in switch.items():
        setattr(metric, field, value)
    return metric_problem(metric=metric, spec=spec, model_slug=model_slug)


def test_the_default_model_is_gpt_4o():
    assert DEFAULT_MODEL_SLUG == "gpt-4o"


def test_a_structural_metric_only_needs_the_staff_switch(monkeypatch, django_assert_num_queries):
    without_provider_keys(monkeypatch)
    spec = registry.by_shortname("exact_match")
    metric = Metric.objects.get(pk=spec.id)
    with django_assert_num_queries(0):  # no route is read for a metric that calls no model
        assert metric_problem(metric=metric, spec=spec, model_slug="claude-haiku-4-5") is None
    assert problem(spec, is_active=False) == "inactive: switched off by an administrator"


def test_a_judged_metric_needs_its_models_key(judged):
    assert problem(judged) == "inactive: set OPENAI_API_KEY to enable LLM-judged metrics with model gpt-4o"
    assert problem(judged, model_slug="claude-sonnet-4-5") == (
        "inactive: set ANTHROPIC_API_KEY to enable LLM-judged metrics with model claude-sonnet-4-5"
    )
    assert problem(judged, model_slug="gemini-2.5-flash") == (
        "inactive: set GEMINI_API_KEY to enable LLM-judged metrics with model gemini-2.5-flash"
    )


def test_a_judged_metric_is_usable_once_the_key_is_set(judged, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    assert problem(judged) is None
    assert problem(judged, model_slug="gpt-4o-mini") is None
    assert problem(judged, model_slug="claude-haiku-4-5") is not None


def test_the_staff_switch_wins_over_a_configured_model(judged, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    assert problem(judged, is_active=False) == "inactive: switched off by an administrator"


def test_a_keyless_self_hosted_model_needs_nothing(judged):
    LlmModel.objects.create(
        slug="local-llama", name="Local Llama", supplier="Self-hosted", provider_model="llama3.1:70b",
        base_url="http://ollama:11434/v1", api_key_env="",
    )  # fmt: skip
    assert problem(judged, model_slug="local-llama") is None


def test_a_model_missing_from_the_catalog_is_named(judged):
    LlmModel.objects.filter(slug=DEFAULT_MODEL_SLUG).delete()
    assert problem(judged) == "inactive: model gpt-4o is not in the model catalog, so LLM-judged metrics cannot use it"


def test_a_spec_that_cannot_score_is_inactive(monkeypatch):
    spec = dataclasses.replace(registry.by_shortname("ans_corr"), scorer=None, judge_scorer=None)
    assert problem(spec) == "inactive: this deployment has no scorer for it"


def test_a_shared_memo_reads_each_model_once(judged, django_assert_num_queries):
    metric = Metric.objects.get(pk=judged.id)
    routes: dict = {}
    with django_assert_num_queries(2):  # gpt-4o, then claude-haiku-4-5
        for slug in ("gpt-4o", None, "claude-haiku-4-5", "gpt-4o", "claude-haiku-4-5"):
            metric_problem(metric=metric, spec=judged, model_slug=slug, routes=routes)
    assert set(routes) == {"gpt-4o", "claude-haiku-4-5"}
