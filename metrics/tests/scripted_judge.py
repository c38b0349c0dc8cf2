"""A scripted stand-in for the judge, for testing recipe maths: replies per step, validated as the real judge does.

The real judge (metrics.judges) is tested against a loopback HTTP server; here each recipe's arithmetic is. The
helpers below script the usual replies, score a record with a scripted judge and inspect the requests it got.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema

from metrics.args import resolve_args
from metrics.registry import judged
from metrics.registry.base import MetricSpec, Score
from metrics.registry.judged.contract import JudgeError, ReplyCheck

FORBIDDEN_KEYWORDS = {"minItems", "maxItems", "minimum", "maximum", "pattern", "format", "minLength", "maxLength"}


def assert_strict_schema(schema: Any, where: str = "schema") -> None:
    """Every object closed and fully required, no keyword a provider's strict mode refuses."""
    if isinstance(schema, dict):
        used = FORBIDDEN_KEYWORDS & set(schema)
        assert not used, f"{where} uses {sorted(used)}"
        if schema.get("type") == "object":
            assert schema.get("additionalProperties") is False, f"{where} must set additionalProperties false"
            assert set(schema.get("required", [])) == set(schema.get("properties", {})), f"{where}: all required"
        for key, value in schema.items():
            assert_strict_schema(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            assert_strict_schema(value, f"{where}[{index}]")


class ScriptedJudge:
    """`replies` maps a step name to a reply, a list of replies (one per call, in order) or a function of the data."""

    def __init__(self, replies: Mapping[str, Any]):
        self.replies = {step: list(r) if isinstance(r, list) else r for step, r in replies.items()}
        self.calls: list[dict] = []

    async def ask(
        self,
        *,
        step: str,
        instructions: str,
        data: Mapping[str, Any],
        schema: dict,
        check: ReplyCheck | None = None,
        sample: bool = False,
        respond: bool = False,
    ) -> dict:
        assert_strict_schema(schema, step)
        self.calls.append(
            {"step": step, "instructions": instructions, "data": dict(data), "sample": sample, "respond": respond}
        )
        for _attempt in range(2):  # the first reply and the one re-ask
            reply = self._next(step, data)
            try:
                jsonschema.validate(reply, schema)
            except jsonschema.ValidationError:
                continue
            if check is None or check(reply) is None:
                return reply
        raise JudgeError(f"the judge's reply to {step} did not match the expected shape")

    def _next(self, step: str, data: Mapping[str, Any]) -> Any:
        script = self.replies[step]
        if isinstance(script, list):
            return script.pop(0)
        if isinstance(script, Callable):
            return script(data)
        return script

    def steps(self) -> list[str]:
        return [call["step"] for call in self.calls]


def run(coroutine):
    return asyncio.run(coroutine)


# Judged metrics scored with a scripted judge

JUDGED = {spec.shortname: spec for spec in judged.SPECS}
EMPTY_RECORD = dict.fromkeys(("prompt", "input", "context", "output", "golden_answer"))


def specs_in(category: str) -> list[MetricSpec]:
    """The judged metrics of one category, by id."""
    return [spec for spec in judged.SPECS if spec.category == category]


def judged_score(shortname: str, judge: Any, record: Mapping[str, str | None], **args) -> Score:
    """The metric's score of `record` (the fields it leaves out are None), judged by `judge`, with `args` resolved."""
    spec = JUDGED[shortname]
    return run(spec.judge_scorer({**EMPTY_RECORD, **record}, resolve_args(spec, args), judge))


def evaluate(shortname: str, record: Mapping[str, str | None], replies: Mapping[str, Any], **args):
    """The score and the judge scripted by `replies`, for a record that holds every input the metric requires."""
    assert JUDGED[shortname].missing_input({**EMPTY_RECORD, **record}) is None
    judge = ScriptedJudge(replies)
    return judged_score(shortname, judge, record, **args), judge


def verdicts(*values: str) -> dict:
    """A reply giving one indexed verdict per value, in order, each with the reason "Reason <index>."."""
    return {"verdicts": [{"index": i, "reason": f"Reason {i}.", "verdict": value} for i, value in enumerate(values)]}


def each(key: str, verdict: str) -> Callable[[Mapping[str, Any]], dict]:
    """A reply giving `verdict` to every item sent under `key`."""
    return lambda data: verdicts(*[verdict] * len(data[key]))


def call(judge: ScriptedJudge, step: str, number: int = 0) -> dict:
    """The judge's `number`-th request for `step`."""
    return [made for made in judge.calls if made["step"] == step][number]


def assert_user_text_only_in_data(judge: ScriptedJudge, marker: str) -> None:
    """The judge was asked, and every request carries the marked user text in its data, never in its instructions."""
    assert judge.calls
    for made in judge.calls:
        assert marker not in made["instructions"], made["step"]
        assert marker in json.dumps(made["data"]), made["step"]
