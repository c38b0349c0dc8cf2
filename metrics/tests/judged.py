"""A judged metric for tests that are about availability, not about any recipe's maths.

The registry's own judged recipes may still be in progress; this gives ans_corr a judge scorer for the test's
duration when it has none, so availability is tested the same way either way. The scorer is never awaited:
these tests stop at validation, before anything is judged.
"""

from __future__ import annotations

import dataclasses

from metrics import registry
from metrics.registry import MetricSpec

JUDGED_SHORTNAME = "ans_corr"


async def _unused_scorer(record, args, judge):
    raise AssertionError("availability tests never judge")


def use_judged_spec(monkeypatch, shortname: str = JUDGED_SHORTNAME) -> MetricSpec:
    spec = registry.by_shortname(shortname)
    assert spec is not None
    if spec.is_judged:
        return spec
    judged = dataclasses.replace(spec, is_active=True, scorer=None, judge_scorer=_unused_scorer)
    monkeypatch.setitem(registry.REGISTRY, judged.id, judged)
    monkeypatch.setitem(registry._BY_SHORTNAME, judged.shortname, judged)
    return judged


def without_provider_keys(monkeypatch) -> None:
    """Tests must not depend on the keys of whoever runs them."""
    for variable in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
