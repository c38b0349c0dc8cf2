"""Content-generation judged metrics: faithfulness to the source, format alignment and consistency (ids 36-38)."""

from __future__ import annotations

from ..base import JSON, Arg, Args, MetricInputError, Record, Score
from .common import CONTENT, closed_object, judged_spec, max_claims, object_list, present
from .contract import Judge
from .decompose import YES_NO, claims_against, extract, share_score, verify

# Content generation faithfulness

CONTENT_FAITHFULNESS = claims_against(
    "input",
    passes=("yes",),
    what="are supported by the input",
    empty_explanation="The output makes no claim, so it adds nothing the input does not support.",
)


# Format alignment


async def format_instructions(record: Record, args: Args, judge: Judge) -> list[str]:
    """The instructions argument when it holds any; else the format instructions found in the prompt and input."""
    given = [item.strip() for item in args.get("instructions") or [] if item.strip()]
    if given:
        return given
    sources = present(record, "prompt", "input")
    if not sources:
        raise MetricInputError(
            "format_align needs format instructions: pass the instructions argument, or a prompt or input to read "
            "them from"
        )
    return await extract(
        judge,
        step="extract_format_instructions",
        key="instructions",
        instructions=(
            "List the instructions that `prompt` and `input` (either may be missing) give about the form of the "
            "reply: length, structure, layout, markup or file format (JSON, Markdown, tables, lists, code), style, "
            "tone, language, casing, punctuation, required or forbidden words. One instruction per item, as a short "
            "imperative sentence. Leave out what the reply should be about, and add no instruction of your own."
        ),
        data=sources,
    )


async def format_alignment(record: Record, args: Args, judge: Judge) -> Score:
    instructions = await format_instructions(record, args, judge)
    verdicts = await verify(
        judge,
        step="judge_instruction_following",
        items=instructions,
        key="format_instructions",
        item_key="instruction",
        instructions=(
            "For each item in `format_instructions`, judge whether `output` follows it: 'yes' if it does in full; "
            "'no' if it breaks it, even partly. Judge the form only, not whether the content is correct."
        ),
        data={"output": record["output"]},
        verdicts=YES_NO,
    )
    return share_score(
        verdicts,
        key="instructions",
        passes={"yes"},
        what="are followed by the output",
        empty_result=100.0,
        empty_explanation="The prompt and input give no format instruction, so there is none to break.",
    )


# Format consistency


def distinct_aspects(reply: dict[str, JSON]) -> str | None:
    names = [" ".join(item["aspect"].lower().split()) for item in reply["aspects"]]
    if len(set(names)) != len(names):
        return "each format aspect must be listed once"
    return None


async def format_consistency(record: Record, args: Args, judge: Judge) -> Score:
    reply = await judge.ask(
        step="judge_format_consistency",
        instructions=(
            "List the format aspects that occur more than once in `output` and could vary: list markers and "
            "numbering, heading style and levels, capitalization of headings and items, date and time formats, "
            "number, currency and unit formats, quotation marks, punctuation at the end of list items, emphasis, "
            "spacing and indentation, code formatting, table layout, terminology and spelling variants. List each "
            "aspect once. For each, write a short reason (one sentence, citing a counterexample when there is one), "
            "then the verdict: 'yes' if `output` applies it the same way throughout; 'no' if it mixes styles. Judge "
            "the form only, not the content."
        ),
        data={"output": record["output"]},
        schema=closed_object(
            aspects=object_list(
                aspect={"type": "string", "description": "A short name, e.g. 'date format'."},
                reason={"type": "string", "description": "One short sentence."},
                verdict={"type": "string", "enum": list(YES_NO)},
            )
        ),
        check=distinct_aspects,
    )
    return share_score(
        reply["aspects"],
        key="aspects",
        passes={"yes"},
        what="of the output's format are applied consistently",
        empty_result=100.0,
        empty_explanation="The output repeats no format element, so there is nothing to apply inconsistently.",
    )


SPECS = [
    judged_spec(
        36,
        "content_gen_faith",
        "Content generation faithfulness",
        CONTENT,
        "Whether generated content (a summary, rewrite, extraction...) keeps to its source, the input. Decompose then "
        "verify, after Ragas' faithfulness: the output's claims (up to max_n_claims) are checked against the input "
        "and only supported claims pass, so additions fail like contradictions (unlike faith, which lets them "
        "pass); score = share supported, 100 with no claims.",
        80,
        ("input", "output"),
        CONTENT_FAITHFULNESS,
        (max_claims(),),
    ),
    judged_spec(
        37,
        "format_align",
        "Format alignment",
        CONTENT,
        "Whether the output follows the format instructions, after DeepEval's prompt alignment: the instructions "
        "argument or, without it, the format instructions extracted from prompt and/or input are each judged "
        "followed or not; score = share followed, 100 when there is no format instruction.",
        80,
        ("output",),
        format_alignment,
        (Arg("instructions", "array", item_type="string", description="Format instructions; extracted if omitted."),),
    ),
    judged_spec(
        38,
        "format_consist",
        "Format consistency",
        CONTENT,
        "Whether the output applies its own formatting uniformly (list markers, headings, casing, date, number and "
        "unit formats...). A checklist judgement, as no published recipe defines it: the judge lists the format "
        "aspects the output repeats and whether each is applied the same way throughout; score = share consistent, "
        "100 when there is none.",
        80,
        ("output",),
        format_consistency,
    ),
]
