"""The LLM-judge layer: routing, backends, structured output, cost and the cache, behind one Judge interface."""
