"""LLM-judged metrics, one module per family; each description names the recipe it follows."""

from . import content, general, leaks, rag, safety, sampled, security

SPECS = sorted(
    [*general.SPECS, *sampled.SPECS, *rag.SPECS, *content.SPECS, *safety.SPECS, *security.SPECS, *leaks.SPECS],
    key=lambda spec: spec.id,
)

__all__ = ["SPECS"]
