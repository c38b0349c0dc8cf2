"""GET /models: the catalog as clients see it. Prices are decimal strings; how a model is reached is not shown."""

import pytest
import yaml
from django.core.management import call_command

from metrics.models import LlmModel
from runs.serializers import LlmModelOut

pytestmark = pytest.mark.django_db

FIELDS = [
    "id",
    "slug",
    "name",
    "supplier",
    "provider",
    "input_cost_per_million_tokens",
    "output_cost_per_million_tokens",
]


def models_by_slug(client) -> dict[str, dict]:
    response = client.get("/api/v1/models")
    assert response.status_code == 200
    return {model["slug"]: model for model in response.json()}


def test_each_model_keeps_its_fields_and_adds_provider_and_prices(alice_api):
    models = models_by_slug(alice_api)
    gpt = models["gpt-4o"]
    assert list(gpt) == FIELDS
    assert gpt == {
        "id": LlmModel.objects.get(slug="gpt-4o").pk,
        "slug": "gpt-4o",
        "name": "GPT-4o",
        "supplier": "OpenAI",
        "provider": "openai",
        "input_cost_per_million_tokens": "2.5",
        "output_cost_per_million_tokens": "10",
    }
    assert models["claude-haiku-4-5"]["provider"] == "anthropic"
    assert models["gemini-2.5-flash"]["provider"] == "openai"  # through Google's OpenAI-compatible endpoint


def test_prices_are_plain_decimal_strings(alice_api):
    LlmModel.objects.create(
        slug="local", name="Local", supplier="Self-hosted", provider_model="local", base_url="http://vllm:8000/v1"
    )
    LlmModel.objects.create(
        slug="tiny", name="Tiny", supplier="Acme", provider_model="tiny",
        input_cost_per_million_tokens="0.000001", output_cost_per_million_tokens="100",
    )  # fmt: skip
    models = models_by_slug(alice_api)
    assert (models["local"]["input_cost_per_million_tokens"], models["local"]["output_cost_per_million_tokens"]) == (
        "0", "0",
    )  # fmt: skip
    assert models["tiny"]["input_cost_per_million_tokens"] == "0.000001"
    assert models["tiny"]["output_cost_per_million_tokens"] == "100"
    for model in models.values():
        for field in ("input_cost_per_million_tokens", "output_cost_per_million_tokens"):
            assert isinstance(model[field], str) and "E" not in model[field]


def test_how_a_model_is_reached_is_never_shown(alice_api, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-value")
    text = alice_api.get("/api/v1/models").content.decode()
    for hidden in ("api_key_env", "OPENAI_API_KEY", "sk-test-secret-value", "base_url", "generativelanguage"):
        assert hidden not in text


def test_the_openapi_component_documents_the_response(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    component = yaml.safe_load(target.read_text())["components"]["schemas"]["LlmModelOut"]
    assert list(LlmModelOut().fields) == FIELDS
    assert set(component["properties"]) == set(FIELDS) == set(component["required"])
    for field in ("input_cost_per_million_tokens", "output_cost_per_million_tokens"):
        assert component["properties"][field]["type"] == "string"


def test_models_need_a_key(anon_api):
    assert anon_api.get("/api/v1/models").status_code == 401
