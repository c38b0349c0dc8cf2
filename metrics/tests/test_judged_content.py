"""The content-generation judged recipes (ids 36-38) against a scripted judge: the maths and each request's shape."""

import json

import pytest

from metrics.registry.base import MetricInputError
from metrics.registry.judged.common import CONTENT
from metrics.registry.judged.contract import JudgeError
from metrics.tests.judged import assert_keeps_declared_contract
from metrics.tests.scripted_judge import (
    EMPTY_RECORD,
    JUDGED,
    assert_user_text_only_in_data,
    call,
    each,
    evaluate,
    specs_in,
    verdicts,
)


def aspects(*pairs):
    return {"aspects": [{"aspect": name, "reason": f"{name} checked.", "verdict": verdict} for name, verdict in pairs]}


@pytest.mark.parametrize("spec", specs_in(CONTENT), ids=lambda spec: spec.shortname)
def test_specs_keep_the_declared_ids_names_thresholds_and_arguments(spec):
    assert_keeps_declared_contract(spec)


def test_format_alignment_requires_only_the_output():
    assert JUDGED["format_align"].inputs == ("output",)


# Content generation faithfulness


def test_content_generation_faithfulness_fails_additions_as_well_as_contradictions():
    score, judge = evaluate(
        "content_gen_faith",
        {"input": "The meeting moved to Friday.", "output": "o"},
        {"extract_claims": {"claims": ["a", "b", "c", "d"]}, "verify_claims": verdicts("yes", "yes", "idk", "no")},
    )
    assert score.result == 50.0
    assert score.explanation.startswith("2 of 4 claims are supported by the input")
    assert call(judge, "verify_claims")["data"]["input"] == "The meeting moved to Friday."
    assert score.metadata["claims"][2] == {"claim": "c", "verdict": "idk", "reason": "Reason 2."}


def test_content_generation_faithfulness_honours_max_n_claims():
    score, judge = evaluate(
        "content_gen_faith",
        {"input": "i", "output": "o"},
        {"extract_claims": {"claims": ["a", "b", "c"]}, "verify_claims": verdicts("yes")},
        max_n_claims=1,
    )
    assert score.result == 100.0
    assert "at most 1 claims" in call(judge, "extract_claims")["instructions"]


def test_content_generation_faithfulness_of_an_output_without_claims_is_100():
    score, _ = evaluate("content_gen_faith", {"input": "i", "output": ""}, {"extract_claims": {"claims": []}})
    assert score.result == 100.0 and score.explanation


# Format alignment


def test_given_instructions_are_judged_as_they_are_without_extraction():
    score, judge = evaluate(
        "format_align",
        {"output": "- one\n- two"},
        {"judge_instruction_following": verdicts("yes", "yes", "no", "yes")},
        instructions=["Use a bulleted list.", "  ", "Lower-case items.", "At most three items.", "No heading."],
    )
    assert score.result == 75.0
    assert score.explanation.startswith("3 of 4 instructions are followed by the output")
    assert judge.steps() == ["judge_instruction_following"]
    sent = call(judge, "judge_instruction_following")["data"]
    assert sent["format_instructions"][1] == {"index": 1, "instruction": "Lower-case items."}
    assert sent["output"] == "- one\n- two"
    assert score.metadata["instructions"][2]["verdict"] == "no"


@pytest.mark.parametrize(
    "record,sent",
    [
        ({"prompt": "Answer in JSON."}, {"prompt": "Answer in JSON."}),
        ({"input": "Two lines, please."}, {"input": "Two lines, please."}),
        ({"prompt": "p", "input": "i"}, {"prompt": "p", "input": "i"}),
    ],
)
def test_without_instructions_they_are_extracted_from_the_prompt_and_the_input(record, sent):
    score, judge = evaluate(
        "format_align",
        {"output": "o", **record},
        {
            "extract_format_instructions": {"instructions": ["Reply in JSON.", "Use two lines."]},
            "judge_instruction_following": verdicts("no", "yes"),
        },
    )
    assert score.result == 50.0
    assert call(judge, "extract_format_instructions")["data"] == sent


def test_an_empty_instructions_argument_falls_back_to_extraction():
    _, judge = evaluate(
        "format_align",
        {"output": "o", "prompt": "p"},
        {"extract_format_instructions": {"instructions": []}},
        instructions=[],
    )
    assert judge.steps() == ["extract_format_instructions"]


def test_a_prompt_and_input_without_format_instructions_leave_nothing_to_break():
    score, _ = evaluate(
        "format_align",
        {"output": "o", "input": "Tell me about cats."},
        {"extract_format_instructions": {"instructions": []}},
    )
    assert score.result == 100.0 and score.explanation


def test_format_alignment_without_instructions_prompt_or_input_is_unusable_input():
    with pytest.raises(MetricInputError, match="format_align needs format instructions"):
        evaluate("format_align", {"output": "o", "prompt": " "}, {})


def test_format_alignment_needs_one_verdict_per_instruction():
    replies = {"judge_instruction_following": verdicts("yes")}
    with pytest.raises(JudgeError):
        evaluate("format_align", {"output": "o"}, replies, instructions=["a", "b"])


# Format consistency


def test_format_consistency_is_the_share_of_repeated_format_aspects_applied_uniformly():
    output = "- Item one\n* item two\n\nDue 2024-01-02 and 03/04/2024."
    score, judge = evaluate(
        "format_consist",
        {"output": output},
        {
            "judge_format_consistency": aspects(
                ("list markers", "no"), ("item capitalization", "no"), ("date format", "no"), ("spacing", "yes")
            )
        },
    )
    assert score.result == 25.0
    assert score.explanation == (
        "1 of 4 aspects of the output's format are applied consistently; first exception: list markers checked."
    )
    assert score.metadata["aspects"][0] == {
        "aspect": "list markers",
        "reason": "list markers checked.",
        "verdict": "no",
    }
    assert call(judge, "judge_format_consistency")["data"] == {"output": output}


def test_an_output_with_no_repeated_format_element_is_consistent():
    score, _ = evaluate("format_consist", {"output": "Yes."}, {"judge_format_consistency": {"aspects": []}})
    assert score.result == 100.0 and score.explanation


def test_an_aspect_listed_twice_is_asked_again_once():
    replies = {
        "judge_format_consistency": [
            aspects(("date format", "no"), ("Date  Format", "no")),
            aspects(("date format", "no"), ("casing", "yes")),
        ]
    }
    score, _ = evaluate("format_consist", {"output": "o"}, replies)
    assert score.result == 50.0


def test_an_aspect_listed_twice_after_the_reask_fails_the_evaluation():
    replies = {"judge_format_consistency": aspects(("date format", "no"), ("date format", "yes"))}
    with pytest.raises(JudgeError):
        evaluate("format_consist", {"output": "o"}, replies)


# User text stays in the data


MARKER = "ZQX-user-text-7731"


def marked_replies():
    """Replies to every step, with items that quote the marker as a judge would quote the user's text."""
    return {
        "extract_claims": {"claims": [f"{MARKER} claim"]},
        "verify_claims": each("claims", "yes"),
        "extract_format_instructions": {"instructions": [f"{MARKER} instruction"]},
        "judge_instruction_following": each("format_instructions", "yes"),
        "judge_format_consistency": aspects((f"{MARKER} aspect", "yes")),
    }


@pytest.mark.parametrize(
    "shortname,args",
    [
        ("content_gen_faith", {}),
        ("format_align", {}),
        ("format_align", {"instructions": [f"Start with {MARKER}."]}),
        ("format_consist", {}),
    ],
)
def test_user_text_reaches_the_judge_only_as_data(shortname, args):
    record = {field: f"{field} {MARKER}" for field in EMPTY_RECORD}
    score, judge = evaluate(shortname, record, marked_replies(), **args)
    assert_user_text_only_in_data(judge, MARKER)
    assert score.explanation
    json.dumps(score.metadata)  # serialisable as eval_metadata
