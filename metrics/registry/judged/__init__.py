"""LLM-judged metrics (spec section 5.3), one module per family; each recipe is named in its description."""

from .declarations_old import SPECS

__all__ = ["SPECS"]
