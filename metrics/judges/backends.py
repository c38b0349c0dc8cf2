"""One structured call to a provider through its official SDK: OpenAI Chat Completions (which also serves every
OpenAI-compatible server) or Anthropic Messages.

Structured output is a JSON schema where the model supports it and a forced tool call otherwise. 429s, 5xx and
network errors are retried by the SDK itself (it honours Retry-After); any failure left is a JudgeError whose
message is one sentence without the key, the request or a traceback.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from dataclasses import dataclass
from types import ModuleType

from metrics.registry.judged.contract import JudgeError

from .routing import ModelRoute

ANTHROPIC_MAX_TOKENS = 4096
TOOL_DESCRIPTION = "Record the evaluation."
# Reasoning models accept only their default temperature.
_FIXED_TEMPERATURE = re.compile(r"^(o\d|gpt-5)")
_RETRIED_STATUSES = {408, 409, 429}


@dataclass(frozen=True)
class ClientSettings:
    api_key: str
    base_url: str | None
    timeout: float
    max_retries: int


@dataclass(frozen=True)
class Completion:
    """A provider's answer: the reply object, or why there is none (not JSON, refused, cut off)."""

    reply: dict | None
    problem: str | None
    tokens_in: int
    tokens_out: int
    attempts: int


class JudgeCallError(JudgeError):
    def __init__(self, message: str, attempts: int):
        super().__init__(message)
        self.attempts = attempts


@functools.cache
def _sdks() -> tuple[ModuleType, ModuleType]:
    """The two SDKs, imported at the first judge call: together with httpx they take about 80 MB and seconds to
    import, which a web worker that only uploads and reads would carry for nothing."""
    import anthropic
    import openai

    return anthropic, openai


def make_client(provider: str, settings: ClientSettings):
    anthropic, openai = _sdks()
    options = {
        "api_key": settings.api_key,
        "base_url": settings.base_url,
        "timeout": settings.timeout,
        "max_retries": settings.max_retries,
    }
    if provider == "anthropic":
        return anthropic.AsyncAnthropic(**options)
    return openai.AsyncOpenAI(**options)


def request_body(route: ModelRoute, *, messages: list[dict], step: str, schema: dict, sample: bool = False) -> dict:
    """The provider request without transport settings; also what the judge cache keys on.

    Judging asks for temperature 0 where the API takes one, so a verdict is as repeatable as the model allows;
    a sampling step keeps the model's default.
    """
    if route.provider == "anthropic":
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        body: dict = {
            "model": route.provider_model,
            "max_tokens": ANTHROPIC_MAX_TOKENS,
            "system": system,
            "messages": [m for m in messages if m["role"] != "system"],
        }
        if route.supports_json_schema:
            body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        else:
            body["tools"] = [{"name": step, "description": TOOL_DESCRIPTION, "input_schema": schema}]
            body["tool_choice"] = {"type": "tool", "name": step}
        return body
    body = {"model": route.provider_model, "messages": messages}
    if not sample and not _FIXED_TEMPERATURE.match(route.provider_model):
        body["temperature"] = 0
    if route.supports_json_schema:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": step, "schema": schema, "strict": True},
        }
    else:
        function = {"name": step, "description": TOOL_DESCRIPTION, "parameters": schema, "strict": True}
        body["tools"] = [{"type": "function", "function": function}]
        body["tool_choice"] = {"type": "function", "function": {"name": step}}
    return body


async def complete(client, route: ModelRoute, body: dict, *, settings: ClientSettings) -> Completion:
    anthropic, openai = _sdks()
    try:
        if route.provider == "anthropic":
            raw = await client.messages.with_raw_response.create(**body)
            return _anthropic_completion(await _parsed(raw), raw.retries_taken + 1)
        raw = await client.chat.completions.with_raw_response.create(**body)
        return _openai_completion(await _parsed(raw), raw.retries_taken + 1)
    except (openai.APIError, anthropic.APIError) as exc:
        raise _call_error(exc, settings) from None


async def _parsed(raw):
    """The SDKs' raw responses parse synchronously in one and asynchronously in the other."""
    parsed = raw.parse()
    return await parsed if inspect.isawaitable(parsed) else parsed


def _openai_completion(response, attempts: int) -> Completion:
    usage = response.usage
    tokens_in = usage.prompt_tokens if usage else 0
    tokens_out = usage.completion_tokens if usage else 0

    def result(reply, problem):
        return Completion(reply, problem, tokens_in, tokens_out, attempts)

    if not response.choices:
        return result(None, "the judge's reply had no choices")
    choice = response.choices[0]
    message = choice.message
    if getattr(message, "refusal", None):
        return result(None, f"the judge refused: {_short(message.refusal)}")
    if choice.finish_reason == "length":
        return result(None, "the judge's reply was cut off")
    text = message.tool_calls[0].function.arguments if message.tool_calls else message.content or ""
    return result(*_parse_object(text))


def _anthropic_completion(response, attempts: int) -> Completion:
    usage = response.usage
    tokens_in = usage.input_tokens if usage else 0
    tokens_out = usage.output_tokens if usage else 0

    def result(reply, problem):
        return Completion(reply, problem, tokens_in, tokens_out, attempts)

    if response.stop_reason == "refusal":
        return result(None, "the judge refused to answer")
    if response.stop_reason == "max_tokens":
        return result(None, "the judge's reply was cut off")
    for block in response.content:
        if block.type == "tool_use":
            return result(block.input, None) if isinstance(block.input, dict) else result(None, "not an object")
    text = "".join(block.text for block in response.content if block.type == "text")
    return result(*_parse_object(text))


def _parse_object(text: str) -> tuple[dict | None, str | None]:
    try:
        value = json.loads(text)
    except ValueError:
        return None, "the judge's reply was not JSON"
    if not isinstance(value, dict):
        return None, "the judge's reply was not a JSON object"
    return value, None


def _call_error(exc: Exception, settings: ClientSettings) -> JudgeCallError:
    anthropic, openai = _sdks()
    every_attempt = settings.max_retries + 1
    if isinstance(exc, openai.APITimeoutError | anthropic.APITimeoutError):
        return JudgeCallError(
            f"the judge timed out after {settings.timeout:g} s ({every_attempt} attempts)", every_attempt
        )
    if isinstance(exc, openai.APIConnectionError | anthropic.APIConnectionError):
        return JudgeCallError(f"the judge could not be reached ({every_attempt} attempts)", every_attempt)
    status = getattr(exc, "status_code", None)
    if status is None:
        return JudgeCallError("the judge's reply could not be read", 1)
    retried = status in _RETRIED_STATUSES or status >= 500
    attempts = every_attempt if retried else 1
    detail = _provider_message(exc, settings.api_key)
    suffix = f" ({attempts} attempts)" if retried else ""
    return JudgeCallError(f"the judge answered HTTP {status}{detail}{suffix}", attempts)


def _provider_message(exc: Exception, api_key: str) -> str:
    body = getattr(exc, "body", None)
    message = None
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str) or not message.strip():
        return ""
    if api_key:
        message = message.replace(api_key, "[key]")
    return f": {_short(message)}"


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
