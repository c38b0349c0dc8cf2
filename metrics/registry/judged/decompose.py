"""Decompose then verify, the shape most judged metrics share (after DeepEval's and Ragas' recipes).

The judge first lists the items of a text (statements, claims, entities...), at most `cap` of them; then it gives
one verdict per item, each with a short reason, against a reference. The score is the share of items whose verdict
passes. Items travel in `data`, never in the instructions, which only name the data fields they refer to.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ..base import JSON, Args, Record, Score
from .common import clip, closed_object, object_list, record_data
from .contract import Judge, ReplyCheck

YES_NO = ("yes", "no")
YES_NO_IDK = ("yes", "no", "idk")

VERDICT_RULES = (
    "Give exactly one verdict per item, in the order the items were sent, each with the item's `index`. "
    "Write a short reason (one sentence) before each verdict."
)


def string_list(description: str) -> dict[str, JSON]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def statements_of(field: str) -> str:
    return (
        f"Break `{field}` into its statements. A statement is one short sentence that makes sense on its own: "
        "replace pronouns with what they refer to and keep the qualifiers it was stated with. A short answer (a "
        "single word, name, number or phrase) is one statement. Keep the text's order; do not add, merge or judge."
    )


def claims_of(field: str) -> str:
    return (
        f"List the factual claims `{field}` makes. A claim is one self-contained declarative sentence that can be "
        "checked: replace pronouns with what they refer to and keep the context and qualifiers it was stated with. "
        "Take the text at face value and do not use your own knowledge: whether a claim is true does not matter "
        "here. Leave out questions, greetings, opinions and instructions. Keep the text's order."
    )


async def extract(
    judge: Judge,
    *,
    step: str,
    key: str,
    instructions: str,
    data: Args,
    cap: int | None = None,
) -> list[str]:
    """The items the judge lists under `key`, blanks dropped, truncated to `cap` when the judge lists more."""
    if cap is not None:
        instructions = f"{instructions} List at most {cap} {key}: the first {cap} in the text's order."
    reply = await judge.ask(
        step=step,
        instructions=instructions,
        data=data,
        schema=closed_object(**{key: string_list(f"The {key}, in order.")}),
    )
    items = [item.strip() for item in reply[key] if item.strip()]
    return items if cap is None else items[:cap]


def verdicts_schema(verdicts: Collection[str]) -> dict[str, JSON]:
    # The reason comes before the verdict so that the judge reasons first, then decides.
    return closed_object(
        verdicts=object_list(
            index={"type": "integer", "description": "The index of the item judged."},
            reason={"type": "string", "description": "One short sentence."},
            verdict={"type": "string", "enum": list(verdicts)},
        )
    )


def one_verdict_per_item(count: int) -> ReplyCheck:
    def check(reply: dict[str, JSON]) -> str | None:
        indexes = [verdict["index"] for verdict in reply["verdicts"]]
        if len(indexes) != count:
            return f"there are {len(indexes)} verdicts for {count} items; give exactly one verdict per item"
        if indexes != list(range(count)):
            return "the verdicts must follow the items' order, each carrying its item's index"
        return None

    return check


async def verify(
    judge: Judge,
    *,
    step: str,
    items: list[str] | list[dict[str, JSON]],
    key: str,
    item_key: str,
    instructions: str,
    data: Args,
    verdicts: Collection[str] = YES_NO,
    sample: bool = False,
) -> list[dict[str, JSON]]:
    """One verdict per item, in order: each item comes back as {item_key: ..., "verdict": ..., "reason": ...}.

    Items are strings (sent as {"index", item_key}) or objects (sent with an "index" added); no item, no call.
    """
    if not items:
        return []
    entries = [item if isinstance(item, dict) else {item_key: item} for item in items]
    numbered = [{"index": index, **entry} for index, entry in enumerate(entries)]
    reply = await judge.ask(
        step=step,
        instructions=f"{instructions} {VERDICT_RULES}",
        data={**data, key: numbered},
        schema=verdicts_schema(verdicts),
        check=one_verdict_per_item(len(entries)),
        sample=sample,
    )
    return [
        {**entry, "verdict": verdict["verdict"], "reason": verdict["reason"]}
        for entry, verdict in zip(entries, reply["verdicts"], strict=True)
    ]


def share_score(
    items: list[dict[str, JSON]],
    *,
    key: str,
    passes: Collection[str],
    what: str,
    empty_result: float,
    empty_explanation: str,
    metadata: Args | None = None,
) -> Score:
    """100 x the share of items whose verdict is in `passes`; `empty_result` when there is no item to judge.

    `what` completes "N of M <key> ..." (e.g. "are relevant to the input"); the first failing item's reason follows.
    """
    extra = {key: items, **(metadata or {})}
    if not items:
        return Score(result=empty_result, explanation=empty_explanation, metadata=extra)
    passed = sum(item["verdict"] in passes for item in items)
    explanation = f"{passed} of {len(items)} {key} {what}"
    failure = next((item for item in items if item["verdict"] not in passes), None)
    if failure is not None:
        explanation += f"; first exception: {clip(failure['reason'])}"
    return Score(result=100 * passed / len(items), explanation=explanation.rstrip(".") + ".", metadata=extra)


@dataclass(frozen=True)
class DecomposeThenVerify:
    """A whole recipe, and its metric's scorer: the judge lists the items of the record's `text` fields, then judges
    each against its `reference` fields; the score is the share of items that pass (`share_score`)."""

    key: str  # the items' name in the data, the metadata and the explanation ("statements")
    item_key: str  # one item's name in the verdicts ("statement")
    text: tuple[str, ...]  # the record fields decomposed
    reference: tuple[str, ...]  # the record fields each item is judged against
    extract_step: str
    extract_instructions: str
    verify_step: str
    verify_instructions: str
    what: str  # completes "N of M <key> ..."
    empty_result: float
    empty_explanation: str
    cap_arg: str | None = None  # the argument capping the items judged
    passes: Collection[str] = ("yes",)
    verdicts: Collection[str] = YES_NO

    async def __call__(self, record: Record, args: Args, judge: Judge) -> Score:
        items = await extract(
            judge,
            step=self.extract_step,
            key=self.key,
            instructions=self.extract_instructions,
            data=record_data(record, self.text),
            cap=args.get(self.cap_arg) if self.cap_arg else None,
        )
        judged = await verify(
            judge,
            step=self.verify_step,
            items=items,
            key=self.key,
            item_key=self.item_key,
            instructions=self.verify_instructions,
            data=record_data(record, self.reference),
            verdicts=self.verdicts,
        )
        return share_score(
            judged,
            key=self.key,
            passes=self.passes,
            what=self.what,
            empty_result=self.empty_result,
            empty_explanation=self.empty_explanation,
        )


SUPPORT_VERDICTS = (
    "For each item in `claims`, judge it against `{source}` only, never against your own knowledge: 'yes' if "
    "`{source}` states it or it follows directly from `{source}`; 'no' if `{source}` contradicts it; 'idk' if "
    "`{source}` neither supports nor contradicts it. Vague or hedged wording ('may', 'possibly') is not a "
    "contradiction."
)


def claims_against(source: str, *, passes: Collection[str], what: str, empty_explanation: str) -> DecomposeThenVerify:
    """The output's claims (up to max_n_claims), each judged yes (supported) / no (contradicted) / idk (neither)
    against the record field `source`; 100 when the output makes no claim.

    The faithfulness metrics share this and differ in the source and in which verdicts pass.
    """
    return DecomposeThenVerify(
        key="claims",
        item_key="claim",
        text=("output",),
        reference=(source,),
        cap_arg="max_n_claims",
        extract_step="extract_claims",
        extract_instructions=claims_of("output"),
        verify_step="verify_claims",
        verify_instructions=SUPPORT_VERDICTS.format(source=source),
        verdicts=YES_NO_IDK,
        passes=passes,
        what=what,
        empty_result=100.0,
        empty_explanation=empty_explanation,
    )
