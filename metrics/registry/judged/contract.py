"""The contract between a judged metric's recipe and the judge layer. Pure Python, no Django, no network.

A recipe is `async def score(record, args, judge) -> Score`. It asks the judge structured questions
(`await judge.ask(...)`) and turns the verdicts into a 0-100 score, higher is better. The judge layer
(metrics.judges) owns everything about the call: the model, the untrusted-data wrapping of `data`, structured
output, validation against `schema`, the one re-ask, retries, cost, the cache. A recipe never builds messages
and never catches JudgeError: a failed judge call fails the evaluation with the judge's reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from ..base import JSON, Args, MetricInputError, Record, Score

ReplyCheck = Callable[[dict[str, JSON]], str | None]
JudgedScorer = Callable[[Record, Args, "Judge"], Awaitable[Score]]


class JudgeError(MetricInputError):
    """The judge could not give a usable verdict (timeout, HTTP error, refusal, unparseable or inconsistent reply).

    str(exc) is one sentence for the evaluation's explanation; it never holds a key or a traceback.
    """


class Judge(Protocol):
    async def ask(
        self,
        *,
        step: str,
        instructions: str,
        data: Args,
        schema: dict[str, JSON],
        check: ReplyCheck | None = None,
        sample: bool = False,
        respond: bool = False,
    ) -> dict[str, JSON]:
        """One structured judge call; returns the reply object, already validated against `schema`.

        - `step`: a short snake_case name of the recipe step ("extract_claims"); names the schema and the
          metadata entry.
        - `instructions`: what the judge must do, in plain English (becomes the system prompt, after the
          judge layer's own preamble saying that the data is untrusted).
        - `data`: the named pieces of user text (and lists of earlier extracted items) the instructions refer
          to; the judge layer sends them as escaped JSON inside a data block, never spliced into instructions.
        - `schema`: a JSON schema of the reply, in the subset every provider's strict mode accepts: objects with
          `properties`, every property listed in `required`, `"additionalProperties": false`; `type`, `items`,
          `enum`, `description`; no `minItems`/`maxItems`/`minimum`/`pattern`/`format`.
        - `check`: an extra consistency rule (e.g. one verdict per statement sent) returning a problem phrase
          or None. A reply that fails `schema` or `check` gets one re-ask; a second failure raises JudgeError.
        - `sample`: the step is one of several independent samples, so the judge samples at the model's own
          temperature instead of 0 (give each sample a distinct number in `data`: identical requests are cached).
        - `respond`: the step answers the request held in `data` the way the evaluated application would (a
          rerun), instead of judging it; it implies `sample`.
        """
        ...
