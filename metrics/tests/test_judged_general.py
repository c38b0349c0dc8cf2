"""The General judged recipes (ids 24-29) against a scripted judge: the maths, the caps, the shape of each request."""

import json

import pytest

from metrics.args import resolve_args
from metrics.registry.base import MetricInputError
from metrics.registry.judged.common import GENERAL
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

# The public contract


@pytest.mark.parametrize("spec", specs_in(GENERAL), ids=lambda spec: spec.shortname)
def test_specs_keep_the_declared_ids_names_thresholds_and_arguments(spec):
    # content_consist's arguments were declared without defaults and have gained them.
    assert_keeps_declared_contract(spec, defaults_may_be_added=True)


def test_content_consistency_requires_only_the_output_and_adds_defaults_for_its_arguments():
    spec = JUDGED["content_consist"]
    assert spec.inputs == ("output",)
    assert resolve_args(spec) == {"exact_output_match": False, "n_reruns": 3}


# Answer correctness


def test_answer_correctness_is_the_f1_of_backed_and_conveyed_statements():
    score, judge = evaluate(
        "ans_corr",
        {"input": "Who was Einstein?", "output": "o", "golden_answer": "g"},
        {
            "extract_output_statements": {"statements": ["a", "b", "c", "d"]},
            "extract_golden_statements": {"statements": ["x", "y"]},
            "verify_output_statements": verdicts("yes", "yes", "no", "yes"),
            "verify_golden_statements": verdicts("yes", "no"),
        },
    )
    # precision 3/4, recall 1/2: F1 = 2 * 0.75 * 0.5 / 1.25 = 0.6
    assert score.result == pytest.approx(60.0)
    assert "3 of 4 output statements" in score.explanation and "1 of 2 golden statements" in score.explanation
    assert score.metadata["precision"] == 0.75 and score.metadata["recall"] == 0.5
    assert [item["statement"] for item in score.metadata["output_statements"]] == ["a", "b", "c", "d"]
    assert score.metadata["golden_statements"][1] == {"statement": "y", "verdict": "no", "reason": "Reason 1."}
    # Each side is checked against the other text, with the question for context.
    assert call(judge, "verify_output_statements")["data"]["golden_answer"] == "g"
    assert call(judge, "verify_golden_statements")["data"]["output"] == "o"
    assert call(judge, "verify_golden_statements")["data"]["input"] == "Who was Einstein?"


def test_answer_correctness_of_an_output_that_states_nothing_is_0_and_skips_its_verification():
    score, judge = evaluate(
        "ans_corr",
        {"output": "", "golden_answer": "Paris"},
        {
            "extract_output_statements": {"statements": []},
            "extract_golden_statements": {"statements": ["Paris"]},
            "verify_golden_statements": verdicts("no"),
        },
    )
    assert score.result == 0.0
    assert score.explanation
    assert "verify_output_statements" not in judge.steps()


def test_answer_correctness_judges_at_most_max_n_statements_on_each_side():
    score, judge = evaluate(
        "ans_corr",
        {"output": "o", "golden_answer": "g"},
        {
            "extract_output_statements": {"statements": ["a", "b", "c"]},
            "extract_golden_statements": {"statements": ["x", "y", "z"]},
            "verify_output_statements": each("statements", "yes"),
            "verify_golden_statements": each("statements", "yes"),
        },
        max_n_statements=2,
    )
    assert score.result == 100.0
    assert "at most 2 statements" in call(judge, "extract_output_statements")["instructions"]
    assert [item["statement"] for item in call(judge, "verify_golden_statements")["data"]["statements"]] == ["x", "y"]
    assert len(score.metadata["output_statements"]) == 2


def test_answer_correctness_tells_the_extractor_the_default_cap_of_50():
    _, judge = evaluate(
        "ans_corr",
        {"output": "o", "golden_answer": "g"},
        {"extract_output_statements": {"statements": []}, "extract_golden_statements": {"statements": []}},
    )
    assert "at most 50 statements" in call(judge, "extract_golden_statements")["instructions"]


# Answer relevancy


RELEVANCY_RECORD = {"input": "What should I do in an earthquake?", "output": "Duck and hide. Shoes. Thanks!"}


def test_three_of_four_relevant_statements_score_75():
    score, judge = evaluate(
        "ans_rel",
        RELEVANCY_RECORD,
        {
            "extract_statements": {"statements": ["Duck.", "Hide under a table.", "Shoes.", "Stay calm."]},
            "judge_relevance": verdicts("yes", "yes", "no", "yes"),
        },
    )
    assert score.result == 75.0
    assert score.explanation == "3 of 4 statements are relevant to the input; first exception: Reason 2."
    assert score.metadata["statements"][2] == {"statement": "Shoes.", "verdict": "no", "reason": "Reason 2."}
    sent = call(judge, "judge_relevance")["data"]
    assert sent["statements"][3] == {"index": 3, "statement": "Stay calm."}
    assert sent["input"] == RELEVANCY_RECORD["input"]


def test_ambiguous_statements_count_as_relevant():
    score, _ = evaluate(
        "ans_rel",
        RELEVANCY_RECORD,
        {"extract_statements": {"statements": ["Duck.", "Thanks!"]}, "judge_relevance": verdicts("yes", "idk")},
    )
    assert score.result == 100.0


def test_an_output_that_states_nothing_is_not_relevant():
    score, judge = evaluate("ans_rel", {"input": "Why?", "output": ""}, {"extract_statements": {"statements": [" "]}})
    assert score.result == 0.0
    assert score.explanation and score.metadata == {"statements": []}
    assert judge.steps() == ["extract_statements"]


def test_statements_beyond_max_n_statements_are_not_judged():
    score, judge = evaluate(
        "ans_rel",
        RELEVANCY_RECORD,
        {"extract_statements": {"statements": list("abcde")}, "judge_relevance": each("statements", "yes")},
        max_n_statements=3,
    )
    assert "at most 3 statements" in call(judge, "extract_statements")["instructions"]
    assert len(call(judge, "judge_relevance")["data"]["statements"]) == 3
    assert [item["statement"] for item in score.metadata["statements"]] == ["a", "b", "c"]


def test_a_wrong_verdict_count_is_asked_again_once_then_fails():
    replies = {"extract_statements": {"statements": ["a", "b", "c", "d"]}, "judge_relevance": verdicts("yes")}
    with pytest.raises(JudgeError):
        evaluate("ans_rel", RELEVANCY_RECORD, replies)


def test_a_corrected_verdict_count_after_the_reask_is_accepted():
    replies = {
        "extract_statements": {"statements": ["a", "b"]},
        "judge_relevance": [verdicts("yes"), verdicts("yes", "no")],
    }
    score, _ = evaluate("ans_rel", RELEVANCY_RECORD, replies)
    assert score.result == 50.0


def test_verdicts_out_of_the_statements_order_are_rejected():
    shuffled = {
        "verdicts": [{"index": 1, "reason": "r", "verdict": "yes"}, {"index": 0, "reason": "r", "verdict": "no"}]
    }
    replies = {"extract_statements": {"statements": ["a", "b"]}, "judge_relevance": shuffled}
    with pytest.raises(JudgeError):
        evaluate("ans_rel", RELEVANCY_RECORD, replies)


def test_a_verdict_outside_yes_no_idk_is_rejected_by_the_schema():
    replies = {"extract_statements": {"statements": ["a"]}, "judge_relevance": verdicts("maybe")}
    with pytest.raises(JudgeError):
        evaluate("ans_rel", RELEVANCY_RECORD, replies)


def test_a_verdict_without_a_reason_is_rejected_by_the_schema():
    replies = {
        "extract_statements": {"statements": ["a"]},
        "judge_relevance": {"verdicts": [{"index": 0, "verdict": "yes"}]},
    }
    with pytest.raises(JudgeError):
        evaluate("ans_rel", RELEVANCY_RECORD, replies)


# Faithfulness


def test_faithfulness_fails_only_the_claims_the_input_contradicts():
    score, judge = evaluate(
        "faith",
        {"input": "Einstein won the Nobel Prize in 1921.", "output": "o"},
        {
            "extract_claims": {"claims": ["won a Nobel", "was German", "won it in 1969", "was a physicist"]},
            "verify_claims": verdicts("yes", "idk", "no", "idk"),
        },
    )
    assert score.result == 75.0
    assert score.explanation.startswith("3 of 4 claims are not contradicted by the input")
    assert score.metadata["claims"][2]["verdict"] == "no"
    assert call(judge, "verify_claims")["data"]["input"] == "Einstein won the Nobel Prize in 1921."
    assert "at most 50 claims" in call(judge, "extract_claims")["instructions"]


def test_faithfulness_of_an_output_without_claims_is_100():
    score, _ = evaluate("faith", {"input": "i", "output": "Hello!"}, {"extract_claims": {"claims": []}})
    assert score.result == 100.0 and score.explanation


def test_faithfulness_truncates_claims_to_max_n_claims():
    score, _ = evaluate(
        "faith",
        {"input": "i", "output": "o"},
        {"extract_claims": {"claims": ["a", "b", "c"]}, "verify_claims": verdicts("no")},
        max_n_claims=1,
    )
    assert score.result == 0.0
    assert [item["claim"] for item in score.metadata["claims"]] == ["a"]


# Factfulness


def by_run(*runs):
    """A truth reply per run number: runs[0] answers run 1, and so on."""
    return lambda data: verdicts(*runs[data["run"] - 1])


def test_factfulness_averages_the_runs_with_each_idk_costing_its_penalty_weight():
    score, judge = evaluate(
        "factfulness",
        {"input": "i", "output": "o"},
        {
            "extract_claims": {"claims": ["Paris is in France.", "The moon is made of basalt."]},
            "judge_truth": by_run(("true", "true"), ("true", "idk"), ("false", "idk")),
        },
    )
    # claim 1: (1 + 1 + 0) / 3; claim 2: (1 + 0.75 + 0.75) / 3; mean = 0.75
    assert score.result == pytest.approx(75.0)
    assert "3 true, 1 false and 2 unsure" in score.explanation
    first, second = score.metadata["claims"]
    assert first["verdicts"] == ["true", "true", "false"]
    assert second["credit"] == pytest.approx(2.5 / 3)
    assert score.metadata["n_runs"] == 3 and score.metadata["idk_penalty_weight"] == 0.25


@pytest.mark.parametrize("weight,expected", [(0, 100.0), (1, 0.0), (0.5, 50.0)])
def test_an_unsure_verdict_is_worth_one_minus_the_penalty_weight(weight, expected):
    score, _ = evaluate(
        "factfulness",
        {"input": "i", "output": "o"},
        {"extract_claims": {"claims": ["c"]}, "judge_truth": verdicts("idk")},
        n_runs=1,
        idk_penalty_weight=weight,
    )
    assert score.result == pytest.approx(expected)


def test_each_factfulness_run_is_a_distinct_request():
    _, judge = evaluate(
        "factfulness",
        {"input": "i", "output": "o"},
        {"extract_claims": {"claims": ["c"]}, "judge_truth": verdicts("true")},
        n_runs=4,
    )
    runs = [made["data"] for made in judge.calls if made["step"] == "judge_truth"]
    assert [data["run"] for data in runs] == [1, 2, 3, 4]
    assert len({json.dumps(data, sort_keys=True) for data in runs}) == 4
    assert judge.steps().count("extract_claims") == 1


def test_factfulness_of_an_output_without_claims_is_100_without_any_truth_run():
    score, judge = evaluate("factfulness", {"input": "i", "output": "Hi"}, {"extract_claims": {"claims": []}})
    assert score.result == 100.0 and score.explanation
    assert judge.steps() == ["extract_claims"]


def test_a_factfulness_run_with_a_missing_verdict_fails_the_evaluation():
    replies = {"extract_claims": {"claims": ["a", "b"]}, "judge_truth": verdicts("true")}
    with pytest.raises(JudgeError):
        evaluate("factfulness", {"input": "i", "output": "o"}, replies, n_runs=2)


# Entity faithfulness


ENTITY_RECORD = {"input": "Marie Curie moved from Warsaw to\nParis in 1891.", "output": "o"}
ENTITIES = {
    "entities": [
        {"entity": "Marie Curie", "type": "person"},
        {"entity": "Paris", "type": "location"},
        {"entity": "Marie Curie", "type": "person"},
        {"entity": "1891", "type": "date"},
        {"entity": "to Paris", "type": "other"},
        {"entity": "Lyon", "type": "location"},
        {"entity": "warsaw", "type": "location"},
    ]
}


def test_exact_entity_matching_is_a_literal_check_with_no_second_judge_call():
    score, judge = evaluate("entity_faith", ENTITY_RECORD, {"extract_entities": ENTITIES}, match_mode="exact")
    # The duplicate counts once; "to Paris" matches across the line break; case matters, so "warsaw" does not.
    assert score.result == pytest.approx(100 * 4 / 6)
    assert [item["verdict"] for item in score.metadata["entities"]] == ["yes", "yes", "yes", "yes", "no", "no"]
    assert score.metadata["match_mode"] == "exact"
    assert judge.steps() == ["extract_entities"]


@pytest.mark.parametrize("mode", ["strict", "flexible"])
def test_strict_and_flexible_entity_matching_ask_the_judge_with_each_entity_and_its_type(mode):
    score, judge = evaluate(
        "entity_faith",
        ENTITY_RECORD,
        {
            "extract_entities": {
                "entities": [{"entity": "M. Curie", "type": "person"}, {"entity": "Lyon", "type": "location"}]
            },
            "match_entities": verdicts("yes", "no"),
        },
        match_mode=mode,
    )
    assert score.result == 50.0
    sent = call(judge, "match_entities")
    assert sent["data"]["entities"][0] == {"index": 0, "entity": "M. Curie", "type": "person"}
    assert sent["data"]["input"] == ENTITY_RECORD["input"]
    assert score.metadata["entities"][1] == {
        "entity": "Lyon",
        "type": "location",
        "verdict": "no",
        "reason": "Reason 1.",
    }


def test_strict_and_flexible_entity_matching_differ_on_aliases():
    instructions = {}
    for mode in ("strict", "flexible"):
        replies = {
            "extract_entities": {"entities": [{"entity": "NYC", "type": "location"}]},
            "match_entities": verdicts("yes"),
        }
        _, judge = evaluate("entity_faith", ENTITY_RECORD, replies, match_mode=mode)
        instructions[mode] = call(judge, "match_entities")["instructions"]
    assert "does not count" in instructions["strict"] and "aliases" in instructions["flexible"]


def test_an_output_naming_no_entity_is_entity_faithful():
    score, _ = evaluate("entity_faith", ENTITY_RECORD, {"extract_entities": {"entities": []}})
    assert score.result == 100.0 and score.explanation


def test_an_entity_type_outside_the_list_is_rejected_by_the_schema():
    replies = {"extract_entities": {"entities": [{"entity": "Rex", "type": "dog"}]}}
    with pytest.raises(JudgeError):
        evaluate("entity_faith", ENTITY_RECORD, replies)


# Content consistency


def test_content_consistency_needs_a_prompt_or_an_input():
    with pytest.raises(MetricInputError, match="prompt or an input"):
        evaluate("content_consist", {"output": "o", "input": "  "}, {})


def test_claims_agreeing_with_half_of_the_claim_rerun_checks_score_50():
    answers = ["first answer", "second answer", "third answer"]
    rerun_verdicts = {"first answer": ("yes", "yes"), "second answer": ("yes", "no"), "third answer": ("no", "no")}
    score, judge = evaluate(
        "content_consist",
        {"prompt": "Be brief.", "input": "Capital of France?", "output": "Paris. It is the capital."},
        {
            "extract_claims": {"claims": ["The capital is Paris.", "Paris is in France."]},
            "rerun_answer": lambda data: {"answer": answers[data["rerun"] - 1]},
            "check_against_rerun": lambda data: verdicts(*rerun_verdicts[data["rerun_answer"]]),
        },
    )
    assert score.result == 50.0
    assert score.explanation == "3 of 6 claim checks (2 claims x 3 reruns) agree."
    assert score.metadata["claims"][1]["verdicts"] == ["yes", "no", "no"]
    assert score.metadata["reruns"] == answers
    reruns = [made["data"] for made in judge.calls if made["step"] == "rerun_answer"]
    assert [data["rerun"] for data in reruns] == [1, 2, 3]
    assert reruns[0]["prompt"] == "Be brief." and reruns[0]["input"] == "Capital of France?"


def test_exact_output_match_counts_the_reruns_identical_to_the_output():
    answers = ["4", " 4\n", "four", "4"]
    score, judge = evaluate(
        "content_consist",
        {"input": "2+2?", "output": "4"},
        {"rerun_answer": lambda data: {"answer": answers[data["rerun"] - 1]}},
        exact_output_match=True,
        n_reruns=4,
    )
    assert score.result == 75.0
    assert score.explanation == "3 of 4 reruns reproduce the output verbatim."
    assert [item["matches"] for item in score.metadata["reruns"]] == [True, True, False, True]
    assert set(judge.steps()) == {"rerun_answer"}


def test_content_consistency_of_an_output_without_claims_is_100():
    score, judge = evaluate(
        "content_consist",
        {"input": "Say hi.", "output": "Hi!"},
        {"extract_claims": {"claims": []}, "rerun_answer": {"answer": "Hello!"}},
        n_reruns=2,
    )
    assert score.result == 100.0 and score.explanation
    assert "check_against_rerun" not in judge.steps()


# User text stays in the data


MARKER = "ZQX-user-text-7731"


def marked_replies():
    """Replies to every step, with items that quote the marker as a judge would quote the user's text."""
    items = {"statements": [f"{MARKER} one", f"{MARKER} two"]}
    return {
        "extract_statements": items,
        "extract_output_statements": items,
        "extract_golden_statements": items,
        "extract_claims": {"claims": [f"{MARKER} claim"]},
        "extract_entities": {"entities": [{"entity": MARKER, "type": "other"}]},
        "judge_relevance": each("statements", "yes"),
        "verify_output_statements": each("statements", "yes"),
        "verify_golden_statements": each("statements", "yes"),
        "verify_claims": each("claims", "yes"),
        "judge_truth": each("claims", "true"),
        "match_entities": each("entities", "yes"),
        "rerun_answer": {"answer": f"{MARKER} rerun"},
        "check_against_rerun": each("claims", "yes"),
    }


@pytest.mark.parametrize(
    "shortname,args",
    [
        ("ans_corr", {}),
        ("ans_rel", {}),
        ("faith", {}),
        ("factfulness", {}),
        ("entity_faith", {"match_mode": "flexible"}),
        ("entity_faith", {"match_mode": "strict"}),
        ("content_consist", {}),
        ("content_consist", {"exact_output_match": True}),
    ],
)
def test_user_text_reaches_the_judge_only_as_data(shortname, args):
    record = {field: f"{field} {MARKER}" for field in EMPTY_RECORD}
    score, judge = evaluate(shortname, record, marked_replies(), **args)
    assert_user_text_only_in_data(judge, MARKER)
    assert score.explanation
    json.dumps(score.metadata)  # serialisable as eval_metadata
