"""Where the judge sends a model's requests, read from the model catalog (metrics.LlmModel).

A route is a plain value: the functions over it take the environment as an argument, so the same route can be
checked against a test's environment, and the key itself is read only at the moment a client is built.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from metrics.models import LlmModel

# The provider's own variable for a server other than its public API; the SDKs read the same names.
BASE_URL_ENV = {
    LlmModel.Provider.OPENAI.value: "OPENAI_BASE_URL",
    LlmModel.Provider.ANTHROPIC.value: "ANTHROPIC_BASE_URL",
}


@dataclass(frozen=True)
class ModelRoute:
    slug: str
    provider: str
    provider_model: str
    base_url: str | None  # None: the provider's default (resolved_base_url)
    api_key_env: str | None  # the NAME of the variable holding the key; None: the server needs no key
    supports_json_schema: bool
    input_cost_per_million: Decimal
    output_cost_per_million: Decimal


def route_for(slug: str) -> ModelRoute | None:
    """The route of a catalog model, or None when no model has this slug."""
    model = LlmModel.objects.filter(slug=slug).first()
    return None if model is None else route_of(model)


def route_of(model: LlmModel) -> ModelRoute:
    return ModelRoute(
        slug=model.slug,
        provider=model.provider,
        provider_model=model.provider_model or model.slug,
        base_url=model.base_url or None,
        api_key_env=model.api_key_env or None,
        supports_json_schema=model.supports_json_schema,
        input_cost_per_million=model.input_cost_per_million_tokens,
        output_cost_per_million=model.output_cost_per_million_tokens,
    )


def configuration_problem(route: ModelRoute, environ: Mapping[str, str] = os.environ) -> str | None:
    """What to set before this route can be called ("set OPENAI_API_KEY"), or None when it is ready."""
    if route.api_key_env and not environ.get(route.api_key_env, "").strip():
        return f"set {route.api_key_env}"
    if not route.api_key_env and resolved_base_url(route, environ) is None:
        # No key and no server of its own: the provider's public API would refuse every call.
        return f"give model {route.slug} a base URL (or {BASE_URL_ENV.get(route.provider, 'a base URL')})"
    return None


def resolved_base_url(route: ModelRoute, environ: Mapping[str, str] = os.environ) -> str | None:
    """The model's own server, else the provider's from the environment, else None (the SDK's public default)."""
    if route.base_url:
        return route.base_url
    variable = BASE_URL_ENV.get(route.provider)
    return (environ.get(variable, "").strip() or None) if variable else None
