"""General judged metrics checked against a reference text: correctness, relevancy, faithfulness and entity
faithfulness (ids 24-26, 28). Factfulness and content consistency, which sample the judge, are in `sampled`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from ..base import JSON, Arg, Args, Record, Score, field_text
from .common import GENERAL, closed_object, judged_spec, max_claims, max_statements, object_list, present
from .contract import Judge
from .decompose import (
    YES_NO,
    YES_NO_IDK,
    DecomposeThenVerify,
    claims_against,
    extract,
    share_score,
    statements_of,
    verify,
)

# Answer correctness


async def answer_correctness(record: Record, args: Args, judge: Judge) -> Score:
    question = present(record, "input")  # lets the judge read a terse answer ("1879") as the statement it makes

    def statements(step: str, field: str) -> Awaitable[list[str]]:
        return extract(
            judge,
            step=step,
            key="statements",
            instructions=statements_of(field) + " `input`, when given, is the question it answers.",
            data={**question, field: record[field]},
            cap=args.get("max_n_statements"),
        )

    def checked(step: str, items: list[str], instructions: str, against: str) -> Awaitable[list[dict[str, JSON]]]:
        return verify(
            judge,
            step=step,
            items=items,
            key="statements",
            item_key="statement",
            instructions=instructions,
            data={**question, against: record[against]},
        )

    output_statements, golden_statements = await asyncio.gather(
        statements("extract_output_statements", "output"), statements("extract_golden_statements", "golden_answer")
    )
    backed, covered = await asyncio.gather(
        checked(
            "verify_output_statements",
            output_statements,
            "For each item in `statements` (taken from an answer), judge it against `golden_answer`, the reference "
            "answer: 'yes' if `golden_answer` states it or it follows directly from `golden_answer`; 'no' if "
            "`golden_answer` contradicts it or does not support it.",
            "golden_answer",
        ),
        checked(
            "verify_golden_statements",
            golden_statements,
            "For each item in `statements` (taken from the reference answer), judge whether `output` conveys it: "
            "'yes' if `output` states it or it follows directly from `output`; 'no' otherwise.",
            "output",
        ),
    )
    n_backed = sum(item["verdict"] == "yes" for item in backed)
    n_covered = sum(item["verdict"] == "yes" for item in covered)
    precision = n_backed / len(backed) if backed else 0.0
    recall = n_covered / len(covered) if covered else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    explanation = (
        f"F1 {100 * f1:.1f}: {n_backed} of {len(backed)} output statements are backed by golden_answer "
        f"and {n_covered} of {len(covered)} golden statements are conveyed by the output."
    )
    metadata = {
        "output_statements": backed,
        "golden_statements": covered,
        "precision": precision,
        "recall": recall,
    }
    return Score(result=100 * f1, explanation=explanation, metadata=metadata)


# Answer relevancy

# An output that states nothing addresses nothing: 0, where DeepEval would give a vacuous 1.
RELEVANCY = DecomposeThenVerify(
    key="statements",
    item_key="statement",
    text=("output",),
    reference=("input",),
    cap_arg="max_n_statements",
    extract_step="extract_statements",
    extract_instructions=statements_of("output"),
    verify_step="judge_relevance",
    verify_instructions=(
        "For each item in `statements` (taken from a reply to `input`), judge whether it helps address "
        "`input`: 'yes' if it is relevant; 'no' if it is irrelevant; 'idk' if it is ambiguous, not directly "
        "relevant but usable as supporting information."
    ),
    verdicts=YES_NO_IDK,
    passes=("yes", "idk"),
    what="are relevant to the input",
    empty_result=0.0,
    empty_explanation="The output makes no statement, so it does not address the input.",
)


# Faithfulness

FAITHFULNESS = claims_against(
    "input",
    passes=("yes", "idk"),
    what="are not contradicted by the input",
    empty_explanation="The output makes no claim, so nothing in it contradicts the input.",
)


# Entity faithfulness


ENTITY_TYPES = (
    "person",
    "organization",
    "location",
    "date",
    "time",
    "number",
    "quantity",
    "money",
    "percent",
    "product",
    "event",
    "work",
    "law",
    "other",
)

ENTITY_MATCH = {
    "strict": (
        "For each item in `entities` (found in a text written from `input`), judge whether `input` mentions the "
        "same entity with the same type: 'yes' only if `input` names that very entity, with the same value for "
        "dates, numbers and amounts; 'no' if `input` does not mention it, names a different one, or gives it "
        "another type or value. A mere alias or abbreviation of a name does not count."
    ),
    "flexible": (
        "For each item in `entities` (found in a text written from `input`), judge whether `input` refers to the "
        "same entity: 'yes' if it does under any name, including aliases, abbreviations, translations, other "
        "spellings and equivalent notations of dates, numbers and amounts; 'no' if `input` does not mention it "
        "or refers to a different one."
    ),
}


def normalized(text: str) -> str:
    return " ".join(text.split())


def literal_matches(entities: list[dict[str, JSON]], source: str) -> list[dict[str, JSON]]:
    """The exact mode: an entity matches when its text occurs verbatim (case included) in the source."""
    haystack = normalized(source)
    matched = []
    for entity in entities:
        found = normalized(entity["entity"]) in haystack
        reason = "Found verbatim in the input." if found else "Not found verbatim in the input."
        matched.append({**entity, "verdict": "yes" if found else "no", "reason": reason})
    return matched


async def entity_faithfulness(record: Record, args: Args, judge: Judge) -> Score:
    mode = args["match_mode"]
    reply = await judge.ask(
        step="extract_entities",
        instructions=(
            "List each distinct named entity in `output` once: people, organizations, places, dates, times, "
            "numbers, quantities, amounts of money, percentages, products, events, works, laws and other proper "
            "names. Copy each exactly as written in `output`, and give its type."
        ),
        data={"output": record["output"]},
        schema=closed_object(
            entities=object_list(
                entity={"type": "string", "description": "As written in the text."},
                type={"type": "string", "enum": list(ENTITY_TYPES)},
            )
        ),
    )
    entities, seen = [], set()
    for item in reply["entities"]:
        entity = {"entity": item["entity"].strip(), "type": item["type"]}
        if entity["entity"] and (entity["entity"], entity["type"]) not in seen:
            seen.add((entity["entity"], entity["type"]))
            entities.append(entity)
    if mode == "exact":
        matched = literal_matches(entities, field_text(record, "input"))
    else:
        matched = await verify(
            judge,
            step="match_entities",
            items=entities,
            key="entities",
            item_key="entity",
            instructions=ENTITY_MATCH[mode],
            data={"input": record["input"]},
            verdicts=YES_NO,
        )
    return share_score(
        matched,
        key="entities",
        passes={"yes"},
        what=f"match the input ({mode} matching)",
        empty_result=100.0,
        empty_explanation="The output names no entity, so none of them is unfaithful to the input.",
        metadata={"match_mode": mode},
    )


SPECS = [
    judged_spec(
        24,
        "ans_corr",
        "Answer correctness",
        GENERAL,
        "How correct the output is against golden_answer. Decompose then verify, after Ragas' factual correctness: "
        "both texts are split into statements (up to max_n_statements each), each side's statements are checked "
        "against the other text, and the score is the F1 of precision (output statements golden_answer backs) and "
        "recall (golden statements the output conveys); 0 when either side states nothing.",
        80,
        ("output", "golden_answer"),
        answer_correctness,
        (max_statements(50),),
    ),
    judged_spec(
        25,
        "ans_rel",
        "Answer relevancy",
        GENERAL,
        "How much of the output addresses the input. Decompose then verify, after DeepEval's answer relevancy: the "
        "output's statements (up to max_n_statements) are each judged relevant, irrelevant or ambiguous to the "
        "input; score = share not irrelevant, 0 when the output states nothing.",
        70,
        ("input", "output"),
        RELEVANCY,
        (max_statements(50),),
    ),
    judged_spec(
        26,
        "faith",
        "Faithfulness",
        GENERAL,
        "Whether the output keeps to what the input says. Decompose then verify, after DeepEval's faithfulness: "
        "the output's claims (up to max_n_claims) are checked against the input and only contradicted claims count "
        "against it (claims the input does not mention pass); score = share not contradicted, 100 with no claims.",
        80,
        ("input", "output"),
        FAITHFULNESS,
        (max_claims(50),),
    ),
    judged_spec(
        28,
        "entity_faith",
        "Entity faithfulness",
        GENERAL,
        "Whether the entities the output names (people, places, organizations, dates, numbers...) are found in the "
        "input, the precision-side mirror of Ragas' context entity recall: entities are extracted from the output, "
        "then matched against the input (exact: verbatim text; strict: same entity and type; flexible: aliases and "
        "abbreviations allowed); score = share matched, 100 when the output names none.",
        80,
        ("input", "output"),
        entity_faithfulness,
        (
            Arg(
                "match_mode",
                "string",
                default="flexible",
                choices=("exact", "strict", "flexible"),
                description="How strictly entities must match.",
            ),
        ),
    ),
]
