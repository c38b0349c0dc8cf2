"""A scripted stand-in for the judge, for testing recipe maths: replies per step, validated as the real judge does.

The real judge (metrics.judges) is tested against a loopback HTTP server; here each recipe's arithmetic is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema

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
