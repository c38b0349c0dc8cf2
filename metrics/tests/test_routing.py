"""Routes from the model catalog, and the pure checks over them."""

from decimal import Decimal

import pytest

from metrics.judges.routing import ModelRoute, configuration_problem, resolved_base_url, route_for
from metrics.models import LlmModel


def make_route(**fields) -> ModelRoute:
    values = {
        "slug": "gpt-4o",
        "provider": "openai",
        "provider_model": "gpt-4o",
        "base_url": None,
        "api_key_env": "OPENAI_API_KEY",
        "supports_json_schema": True,
        "input_cost_per_million": Decimal("2.5"),
        "output_cost_per_million": Decimal("10"),
    }
    return ModelRoute(**{**values, **fields})


@pytest.mark.parametrize(
    "environ,problem",
    [
        ({}, "set OPENAI_API_KEY"),
        ({"OPENAI_API_KEY": ""}, "set OPENAI_API_KEY"),
        ({"OPENAI_API_KEY": "   "}, "set OPENAI_API_KEY"),
        ({"OPENAI_API_KEY": "sk-anything"}, None),
    ],
    ids=["unset", "empty", "blank", "set"],
)
def test_a_route_with_a_key_variable_needs_it_set(environ, problem):
    assert configuration_problem(make_route(), environ) == problem


def test_the_problem_names_the_routes_own_variable():
    route = make_route(provider="anthropic", api_key_env="ANTHROPIC_API_KEY")
    assert configuration_problem(route, {"OPENAI_API_KEY": "sk-other"}) == "set ANTHROPIC_API_KEY"


@pytest.mark.parametrize("api_key_env", [None, ""])
def test_a_keyless_route_has_no_problem(api_key_env):
    route = make_route(base_url="http://vllm:8000/v1", api_key_env=api_key_env)
    assert configuration_problem(route, {}) is None


@pytest.mark.parametrize(
    "provider,base_url,environ,expected",
    [
        ("openai", "http://vllm:8000/v1", {"OPENAI_BASE_URL": "http://proxy/v1"}, "http://vllm:8000/v1"),
        ("openai", None, {"OPENAI_BASE_URL": "http://proxy/v1"}, "http://proxy/v1"),
        ("openai", None, {"ANTHROPIC_BASE_URL": "http://other"}, None),
        ("openai", None, {"OPENAI_BASE_URL": ""}, None),
        ("anthropic", None, {"ANTHROPIC_BASE_URL": "http://gateway"}, "http://gateway"),
        ("anthropic", None, {"OPENAI_BASE_URL": "http://proxy/v1"}, None),
        ("anthropic", "", {}, None),
    ],
)
def test_base_url_is_the_models_then_the_providers_from_the_environment_then_the_sdk_default(
    provider, base_url, environ, expected
):
    assert resolved_base_url(make_route(provider=provider, base_url=base_url), environ) == expected


def test_route_for_reads_the_catalog_once(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        route = route_for("gpt-4o")
    assert route == make_route()


def test_route_for_an_unknown_model_is_none(db):
    assert route_for("gpt-9") is None


def test_blank_catalog_fields_become_none(db):
    LlmModel.objects.create(
        slug="local-llama", name="Local Llama", supplier="Self-hosted", provider_model="llama3.1:70b",
        base_url="", api_key_env="",
    )  # fmt: skip
    route = route_for("local-llama")
    assert (route.base_url, route.api_key_env) == (None, None)
    assert route.input_cost_per_million == Decimal(0) == route.output_cost_per_million


def test_routes_are_values():
    with pytest.raises(AttributeError):
        make_route().slug = "other"  # type: ignore[misc]
