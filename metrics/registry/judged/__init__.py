"""LLM-judged metrics (spec section 5.3), one module per family; each description names the recipe it follows."""

from . import content, general, rag, safety, security

SPECS = [*general.SPECS, *rag.SPECS, *content.SPECS, *safety.SPECS, *security.SPECS]

__all__ = ["SPECS"]
