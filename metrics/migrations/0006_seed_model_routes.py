"""Routes and prices for the seeded models, plus two Anthropic models.

Prices are USD per million tokens: public list prices as of 2026-12-02, read once from the genai-prices package
(0.2.3), base tier (prompts up to 200k tokens where a provider charges more above that). Staff keep them current
in the admin; nothing reads prices from the network at run time.

Gemini, Llama and Mistral are reached through their providers' OpenAI-compatible endpoints. Llama 3.1 70B goes
to Together AI, which serves it publicly; point its base_url at a self-hosted vLLM instead (and clear its key
variable and prices) to run it locally. Anthropic models force a tool call for structured output, as does Llama
on Together, whose JSON-schema mode differs from OpenAI's.
"""

from decimal import Decimal

from django.db import migrations

GEMINI = "https://generativelanguage.googleapis.com/v1beta/openai/"

# slug: (provider, provider_model, base_url, api_key_env, supports_json_schema, input, output)
ROUTES = {
    "gpt-4o": ("openai", "gpt-4o", "", "OPENAI_API_KEY", True, "2.5", "10"),
    "gpt-4o-mini": ("openai", "gpt-4o-mini", "", "OPENAI_API_KEY", True, "0.15", "0.6"),
    "gpt-4.1": ("openai", "gpt-4.1", "", "OPENAI_API_KEY", True, "2", "8"),
    "o4-mini": ("openai", "o4-mini", "", "OPENAI_API_KEY", True, "1.1", "4.4"),
    "gemini-2.5-pro": ("openai", "gemini-2.5-pro", GEMINI, "GEMINI_API_KEY", True, "1.25", "10"),
    "gemini-2.5-flash": ("openai", "gemini-2.5-flash", GEMINI, "GEMINI_API_KEY", True, "0.3", "2.5"),
    "llama-3.1-70b": (
        "openai",
        "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo",
        "https://api.together.xyz/v1",
        "TOGETHER_API_KEY",
        False,
        "0.88",
        "0.88",
    ),
    # Pinned: "mistral-large-latest" now names a newer model with other prices.
    "mistral-large": ("openai", "mistral-large-2411", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", True, "2", "6"),
    "claude-sonnet-4-5": ("anthropic", "claude-sonnet-4-5", "", "ANTHROPIC_API_KEY", False, "3", "15"),
    "claude-haiku-4-5": ("anthropic", "claude-haiku-4-5", "", "ANTHROPIC_API_KEY", False, "1", "5"),
}
NEW_MODELS = {
    "claude-sonnet-4-5": ("Claude Sonnet 4.5", "Anthropic"),
    "claude-haiku-4-5": ("Claude Haiku 4.5", "Anthropic"),
}


def route_fields(route) -> dict:
    provider, provider_model, base_url, api_key_env, supports_json_schema, cost_in, cost_out = route
    return {
        "provider": provider,
        "provider_model": provider_model,
        "base_url": base_url,
        "api_key_env": api_key_env,
        "supports_json_schema": supports_json_schema,
        "input_cost_per_million_tokens": Decimal(cost_in),
        "output_cost_per_million_tokens": Decimal(cost_out),
    }


def seed(apps, schema_editor):
    LlmModel = apps.get_model("metrics", "LlmModel")
    models = LlmModel.objects.using(schema_editor.connection.alias)
    for slug, route in ROUTES.items():
        if slug in NEW_MODELS:
            name, supplier = NEW_MODELS[slug]
            models.get_or_create(slug=slug, defaults={"name": name, "supplier": supplier, **route_fields(route)})
        else:
            models.filter(slug=slug).update(**route_fields(route))
    # Models staff added before routing existed: their slug is the best guess at the provider's name.
    for model in models.filter(provider_model=""):
        model.provider_model = model.slug
        model.api_key_env = "OPENAI_API_KEY"
        model.save(update_fields=["provider_model", "api_key_env"])


def unseed(apps, schema_editor):
    apps.get_model("metrics", "LlmModel").objects.using(schema_editor.connection.alias).filter(
        slug__in=list(NEW_MODELS)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("metrics", "0005_llmmodel_routing")]

    operations = [migrations.RunPython(seed, unseed)]
