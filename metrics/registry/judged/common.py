"""Pieces shared by the judged metric families: the spec builder, shared arguments, input helpers."""

from __future__ import annotations

import json

from ..base import Arg, MetricSpec
from .contract import JudgedScorer

GENERAL, RAG, CONTENT, SAFETY, SECURITY = "General", "RAG", "Content generation", "Safety", "Security"
FIELDS_TO_EVALUATE = ("input", "prompt", "output", "context")


def judged_spec(
    metric_id: int,
    shortname: str,
    name: str,
    category: str,
    description: str,
    threshold: int,
    inputs: tuple[str, ...],
    scorer: JudgedScorer,
    args: tuple[Arg, ...] = (),
) -> MetricSpec:
    """A judged metric. `description` says what it measures and which published recipe it follows."""
    return MetricSpec(
        id=metric_id,
        shortname=shortname,
        name=name,
        category=category,
        description=description,
        default_threshold=threshold,
        inputs=inputs,
        args=args,
        is_active=True,
        judge_scorer=scorer,
    )


def idk_weight_problem(value) -> str | None:
    return None if value <= 1 else f"must be between 0 and 1, got {value}"


def max_statements(default=None) -> Arg:
    extra = {} if default is None else {"default": default}
    return Arg("max_n_statements", "integer", minimum=1, description="Cap on the statements judged.", **extra)


def max_claims(default=None) -> Arg:
    extra = {} if default is None else {"default": default}
    return Arg("max_n_claims", "integer", minimum=1, description="Cap on the claims judged.", **extra)


def context_chunks(text: str) -> list[str]:
    """`context` is a string or a JSON-encoded list of strings (spec 5.3); a list gives one chunk per item."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except ValueError:
            value = None
        if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            return value
    return [text]
