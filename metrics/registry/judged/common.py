"""Pieces shared by the judged metric families: spec builder, shared arguments, record fields, schemas, clipping."""

from __future__ import annotations

import json
from typing import Any, cast

from ..base import JSON, NO_DEFAULT, Arg, Args, MetricInputError, MetricSpec, Record
from .contract import JudgedScorer

GENERAL, RAG, CONTENT, SAFETY, SECURITY = "General", "RAG", "Content generation", "Safety", "Security"
FIELDS_TO_EVALUATE = ("input", "prompt", "output", "context")

# Reasons quoted in an explanation are clipped so that one explanation stays one readable sentence.
REASON_CHARS = 200  # the reason of one judged item
SUMMARY_CHARS = 300  # the judge's summary of a whole reply


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


def idk_weight_problem(value: float) -> str | None:
    return None if value <= 1 else f"must be between 0 and 1, got {value}"


def max_statements(default: int | None = None) -> Arg:
    value = NO_DEFAULT if default is None else default
    return Arg("max_n_statements", "integer", default=value, minimum=1, description="Cap on the statements judged.")


def max_claims(default: int | None = None) -> Arg:
    value = NO_DEFAULT if default is None else default
    return Arg("max_n_claims", "integer", default=value, minimum=1, description="Cap on the claims judged.")


def context_chunks(text: str) -> list[str]:
    """`context` is a string or a JSON-encoded list of strings; a list gives one chunk per item."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except ValueError:
            value = None
        if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            return value
    return [text]


def optional_text(record: Record, field_name: str) -> str | None:
    """The field's text, or None when it is missing or blank."""
    text = record.get(field_name)
    return text if text and text.strip() else None


def required_text(record: Record, field_name: str, shortname: str) -> str:
    text = record.get(field_name)
    if text is None:
        raise MetricInputError(f"{field_name} is required by {shortname} but is missing")
    if not text.strip():
        raise MetricInputError(f"{field_name} is empty, so {shortname} has nothing to judge")
    return text


def present(record: Record, *fields: str) -> dict[str, str]:
    """The named fields of the record that hold some text, for a judge's `data`."""
    return {name: text for name in fields if (text := optional_text(record, name)) is not None}


def record_data(record: Record, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named record fields for a judge's `data`; `context` goes as its list of chunks."""
    # The fields are the metric's inputs, so not None: a row missing one is refused before it is scored.
    return {name: context_chunks(cast(str, record[name])) if name == "context" else record[name] for name in fields}


def closed_object(**properties: dict[str, JSON]) -> dict[str, JSON]:
    """A JSON-schema object in the strict subset: every property required, nothing else allowed."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def object_list(**properties: dict[str, JSON]) -> dict[str, JSON]:
    """A JSON-schema array of closed objects with these properties."""
    return {"type": "array", "items": closed_object(**properties)}


def clip(text: str, limit: int = REASON_CHARS, *, strip_cut: bool = True) -> str:
    """`text` on one line, at most `limit` characters; a cut text ends in an ellipsis, after the space the cut may
    end on only with `strip_cut=False` (see `summary_of`)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rstrip() if strip_cut else cut) + "…"


def summary_of(reply: Args) -> str:
    """The judge's one-sentence summary of a whole reply (its `reason`), as an explanation quotes it."""
    # Summaries were first quoted with the space a cut may end on; keeping it keeps their explanations as they were.
    return clip(reply["reason"], SUMMARY_CHARS, strip_cut=False)
