"""The model catalog in metrics: the move from runs keeps every row, the seeded routes, sync on migrate, admin."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from metrics.models import LlmModel, Metric
from metrics.registry import REGISTRY
from metrics.tests.judged import without_provider_keys

SEEDED = {
    "gpt-4o", "gpt-4o-mini", "gpt-4.1", "o4-mini", "gemini-2.5-pro", "gemini-2.5-flash", "llama-3.1-70b",
    "mistral-large", "claude-sonnet-4-5", "claude-haiku-4-5",
}  # fmt: skip
BEFORE_THE_MOVE = [("metrics", "0003_judge_cache"), ("runs", "0004_evaluation_eval_metadata")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_moving_the_catalog_to_metrics_keeps_its_rows_and_ids():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE_THE_MOVE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE_THE_MOVE).apps.get_model("runs", "LlmModel")
    old.objects.filter(slug="o4-mini").delete()  # a gap in the ids must stay a gap
    old.objects.create(id=500, slug="house-model", name="House model", supplier="Acme")
    before = dict(old.objects.values_list("slug", "id"))

    executor = MigrationExecutor(connection)
    executor.migrate(leaves)

    after = dict(LlmModel.objects.values_list("slug", "id"))
    assert {slug: after[slug] for slug in before} == before
    assert set(after) - set(before) == {"claude-sonnet-4-5", "claude-haiku-4-5"}
    assert "runs_llmmodel" not in connection.introspection.table_names()
    house = LlmModel.objects.get(slug="house-model")
    assert (house.name, house.supplier, house.provider, house.provider_model) == (
        "House model", "Acme", "openai", "house-model",
    )  # fmt: skip
    gpt = LlmModel.objects.get(slug="gpt-4o")
    assert (gpt.provider_model, gpt.api_key_env, gpt.input_cost_per_million_tokens) == (
        "gpt-4o", "OPENAI_API_KEY", Decimal("2.5"),
    )  # fmt: skip
    assert LlmModel.objects.create(slug="after-the-move", name="New", supplier="Acme", provider_model="x").pk


def test_every_seeded_model_is_routed_and_priced(db):
    models = {model.slug: model for model in LlmModel.objects.all()}
    assert set(models) == SEEDED
    for model in models.values():
        assert model.provider_model and model.api_key_env
        assert model.input_cost_per_million_tokens > 0 and model.output_cost_per_million_tokens > 0
    assert {slug for slug, model in models.items() if model.provider == "anthropic"} == {
        "claude-sonnet-4-5", "claude-haiku-4-5",
    }  # fmt: skip
    assert models["claude-sonnet-4-5"].api_key_env == "ANTHROPIC_API_KEY"
    assert models["gemini-2.5-pro"].api_key_env == "GEMINI_API_KEY"
    assert models["gemini-2.5-pro"].base_url.startswith("https://generativelanguage.googleapis.com/")
    assert models["gpt-4o"].base_url == ""  # the provider's default, from the environment


def test_migrate_adds_a_metric_missing_from_the_catalog(db):
    Metric.objects.filter(pk=5).delete()
    Metric.objects.filter(pk=1).update(is_active=False, description="stale")
    call_command("migrate", verbosity=0)
    assert Metric.objects.get(pk=5).shortname == REGISTRY[5].shortname
    exact = Metric.objects.get(pk=1)
    assert exact.description == REGISTRY[1].description  # definitions follow the registry
    assert exact.is_active is False  # the staff switch does not
    assert Metric.objects.count() == len(REGISTRY)


def test_sync_writes_nothing_when_the_catalog_agrees(db, django_assert_num_queries):
    from metrics.catalog import sync_catalog

    with django_assert_num_queries(1):  # the read
        sync_catalog(Metric)


# Admin


@pytest.fixture
def staff_client(client, db):
    User.objects.create_superuser(email="staff@aegis.test", password="pw-123456!")
    client.login(email="staff@aegis.test", password="pw-123456!")
    return client


def model_form(**fields) -> dict:
    return {
        "slug": "local-llama",
        "name": "Llama 3.1 70B (vLLM)",
        "supplier": "Self-hosted",
        "provider": "openai",
        "provider_model": "meta-llama/Llama-3.1-70B-Instruct",
        "base_url": "http://vllm:8000/v1",
        "api_key_env": "",
        "supports_json_schema": "on",
        "input_cost_per_million_tokens": "0",
        "output_cost_per_million_tokens": "0",
        **fields,
    }


def test_staff_add_a_self_hosted_model_without_a_key(staff_client, alice_api):
    response = staff_client.post("/admin/metrics/llmmodel/add/", model_form())
    assert response.status_code == 302
    model = LlmModel.objects.get(slug="local-llama")
    assert (model.base_url, model.api_key_env, model.input_cost_per_million_tokens) == (
        "http://vllm:8000/v1", "", Decimal(0),
    )  # fmt: skip
    listed = {item["slug"]: item for item in alice_api.get("/api/v1/models").json()}
    assert listed["local-llama"]["input_cost_per_million_tokens"] == "0"


def test_staff_edit_a_models_prices(staff_client):
    gpt = LlmModel.objects.get(slug="gpt-4o-mini")
    form = model_form(
        slug=gpt.slug, name=gpt.name, supplier=gpt.supplier, provider_model=gpt.provider_model, base_url="",
        api_key_env="OPENAI_API_KEY", input_cost_per_million_tokens="0.2", output_cost_per_million_tokens="0.8",
    )  # fmt: skip
    assert staff_client.post(f"/admin/metrics/llmmodel/{gpt.pk}/change/", form).status_code == 302
    gpt.refresh_from_db()
    assert (gpt.input_cost_per_million_tokens, gpt.output_cost_per_million_tokens) == (Decimal("0.2"), Decimal("0.8"))


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"api_key_env": "sk-proj-abc123"}, "api_key_env"),  # a key pasted where its variable's name belongs
        ({"base_url": "ftp://vllm/v1"}, "base_url"),
        ({"base_url": "vllm:8000"}, "base_url"),
        ({"input_cost_per_million_tokens": "-1"}, "input_cost_per_million_tokens"),
    ],
)
def test_admin_refuses_a_bad_route(staff_client, fields, field):
    response = staff_client.post("/admin/metrics/llmmodel/add/", model_form(**fields))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not LlmModel.objects.filter(slug="local-llama").exists()


def test_model_list_shows_routes_and_what_to_set(staff_client, monkeypatch):
    without_provider_keys(monkeypatch)
    monkeypatch.setenv("GEMINI_API_KEY", "test-not-a-real-key")
    page = staff_client.get("/admin/metrics/llmmodel/").content.decode()
    assert "set OPENAI_API_KEY" in page and "set ANTHROPIC_API_KEY" in page
    assert "set GEMINI_API_KEY" not in page
    assert "mistral-large-2411" in page
