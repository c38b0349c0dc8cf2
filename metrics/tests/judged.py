"""Judged metrics in tests: a judged spec for availability tests, and the check that a recipe keeps its contract.

The registry's own judged recipes may still be in progress; use_judged_spec gives ans_corr a judge scorer for the
test's duration when it has none, so availability is tested the same way either way. The scorer is never awaited:
these tests stop at validation, before anything is judged.
"""

from __future__ import annotations

import dataclasses

from metrics import registry
from metrics.registry import MetricSpec
from metrics.tests import judged_contract

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


def assert_keeps_declared_contract(spec: MetricSpec, *, defaults_may_be_added: bool = False) -> MetricSpec:
    """The spec keeps the id, names, category, threshold and arguments first published (judged_contract), is active
    and judged, and describes its recipe; returns the declaration. With `defaults_may_be_added` an argument declared
    without a default may have gained one, and keeps everything else. Inputs are each family's to pin."""
    declared = next(old for old in judged_contract.SPECS if old.id == spec.id)
    assert (spec.shortname, spec.name, spec.category, spec.default_threshold) == (
        declared.shortname,
        declared.name,
        declared.category,
        declared.default_threshold,
    )
    if defaults_may_be_added:
        kept = tuple(
            old if old.has_default else dataclasses.replace(old, default=arg.default)
            for arg, old in zip(spec.args, declared.args, strict=True)
        )
        assert spec.args == kept
    else:
        assert spec.args == declared.args
    assert spec.is_active and spec.is_judged and spec.description
    return declared
