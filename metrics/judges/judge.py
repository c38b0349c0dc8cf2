"""The judge a recipe talks to: one per evaluation, over a session shared by the evaluations of a batch.

The session holds the SDK clients, the concurrency cap and the cache. The per-evaluation judge words each
request (metrics.judges.messages), validates the reply against the recipe's schema and its consistency check,
re-asks once, and keeps the account of every call: tokens, attempts, cost and whether the cache answered.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import jsonschema

from metrics.registry.judged.contract import JudgeError, ReplyCheck

from . import backends, messages
from .backends import ClientSettings, Completion, JudgeCallError
from .routing import ModelRoute, resolved_base_url

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class SessionSettings:
    timeout: float
    max_retries: int
    concurrency: int
    use_cache: bool


@dataclass(frozen=True)
class CachePort:
    """Database access for the cache, run on the thread that owns the connection (see metrics.judges.runner)."""

    get: Callable[[str], Awaitable[Any]]
    put: Callable[..., Awaitable[None]]


class JudgeSession:
    def __init__(
        self, *, settings: SessionSettings, limiter, cache: CachePort, environ: Mapping[str, str] = os.environ
    ):
        self.settings = settings
        self.limiter = limiter
        self.cache = cache
        self.environ = environ
        self._clients: dict[tuple, tuple[Any, ClientSettings]] = {}

    def _client(self, route: ModelRoute) -> tuple[Any, ClientSettings]:
        api_key = self.environ.get(route.api_key_env, "") if route.api_key_env else ""
        base_url = resolved_base_url(route, self.environ)
        identity = (route.provider, base_url, api_key)
        if identity not in self._clients:
            client_settings = ClientSettings(
                # A keyless self-hosted server still needs a placeholder: the SDKs refuse an empty key.
                api_key=api_key or "no-key",
                base_url=base_url,
                timeout=self.settings.timeout,
                max_retries=self.settings.max_retries,
            )
            self._clients[identity] = (backends.make_client(route.provider, client_settings), client_settings)
        return self._clients[identity]

    async def call(
        self, route: ModelRoute, *, chat: list[dict], step: str, schema: dict, sample: bool = False
    ) -> tuple[Completion, bool]:
        """(completion, answered_from_cache). Only usable replies are cached; errors never are."""
        client, client_settings = self._client(route)
        body = backends.request_body(route, messages=chat, step=step, schema=schema, sample=sample)
        key = None
        if self.settings.use_cache:
            from .cache import request_key

            key = request_key(route, client_settings.base_url, body)
            entry = await self.cache.get(key)
            if entry is not None:
                return Completion(entry.reply, None, entry.tokens_in, entry.tokens_out, 0), True
        lease = await self.limiter.acquire(route.slug)
        try:
            completion = await backends.complete(client, route, body, settings=client_settings)
        finally:
            await self.limiter.release(route.slug, lease)
        if key is not None and completion.reply is not None and _valid(completion.reply, schema):
            await self.cache.put(
                key=key,
                model=route.slug,
                reply=completion.reply,
                tokens_in=completion.tokens_in,
                tokens_out=completion.tokens_out,
            )
        return completion, False

    async def aclose(self) -> None:
        for client, _ in self._clients.values():
            await client.close()
        self._clients.clear()
        await self.limiter.aclose()


def _valid(reply: dict, schema: dict) -> bool:
    return _schema_problem(reply, schema) is None


def _schema_problem(reply: dict, schema: dict) -> str | None:
    try:
        validator = _validator(json.dumps(schema, sort_keys=True))
    except jsonschema.SchemaError:
        return "the schema is invalid"
    error = jsonschema.exceptions.best_match(validator.iter_errors(reply))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "the reply"
    return f"{where} does not match the schema ({error.validator})"


@functools.lru_cache(maxsize=256)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    """One checked validator per schema: recipes reuse a handful of schemas for every reply, and building and
    checking a validator costs far more than validating a reply."""
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@dataclass
class CallRecord:
    step: str
    attempts: int
    tokens_in: int
    tokens_out: int
    cached: bool
    cost: Decimal
    problem: str | None = None

    def as_json(self) -> dict:
        data = {
            "step": self.step,
            "attempts": self.attempts,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cached": self.cached,
            "cost": format(self.cost.normalize(), "f"),
        }
        if self.problem:
            data["problem"] = self.problem
        return data


@dataclass
class EvaluationJudge:
    """Implements registry.judged.contract.Judge for one evaluation and keeps its bill."""

    session: JudgeSession
    route: ModelRoute
    calls: list[CallRecord] = field(default_factory=list)

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
        chat = [
            {"role": "system", "content": messages.system_message(instructions, respond=respond)},
            {"role": "user", "content": messages.data_message(data)},
        ]
        problem = None
        for turn in range(2):  # the question, then at most one re-ask
            if turn:
                chat = [
                    chat[0],
                    {"role": "user", "content": chat[1]["content"] + "\n\n" + messages.reask_message(problem)},
                ]
            reply = await self._call(chat, step, schema, sample or respond)
            problem = reply if isinstance(reply, str) else _schema_problem(reply, schema)
            if problem is None and check is not None:
                problem = check(reply)
            if problem is None:
                return reply
            self.calls[-1].problem = problem
        raise JudgeError(f"the judge's reply to {step} was unusable after one re-ask: {problem}")

    async def _call(self, chat: list[dict], step: str, schema: dict, sample: bool) -> dict | str:
        try:
            completion, cached = await self.session.call(self.route, chat=chat, step=step, schema=schema, sample=sample)
        except JudgeCallError as exc:
            self.calls.append(CallRecord(step, exc.attempts, 0, 0, False, Decimal(0), problem=str(exc)))
            raise
        cost = Decimal(0) if cached else self.price(completion.tokens_in, completion.tokens_out)
        self.calls.append(
            CallRecord(step, completion.attempts, completion.tokens_in, completion.tokens_out, cached, cost)
        )
        return completion.reply if completion.reply is not None else completion.problem or "no reply"

    def price(self, tokens_in: int, tokens_out: int) -> Decimal:
        return (
            tokens_in * self.route.input_cost_per_million + tokens_out * self.route.output_cost_per_million
        ) / MILLION

    @property
    def cost(self) -> Decimal:
        return sum((call.cost for call in self.calls), Decimal(0))

    def summary(self) -> dict:
        return {
            "model": self.route.slug,
            "provider": self.route.provider,
            "provider_model": self.route.provider_model,
            "tokens_in": sum(call.tokens_in for call in self.calls),
            "tokens_out": sum(call.tokens_out for call in self.calls),
            "attempts": sum(call.attempts for call in self.calls),
            "cached": bool(self.calls) and all(call.cached for call in self.calls),
            "calls": [call.as_json() for call in self.calls],
        }
