"""The RAG judged recipes (ids 30-35) against a scripted judge: the maths, the chunks, the shape of each request."""

import json

import pytest

from metrics.registry.base import MetricInputError
from metrics.registry.judged.common import RAG
from metrics.registry.judged.contract import JudgeError
from metrics.tests.judged import assert_keeps_declared_contract
from metrics.tests.scripted_judge import (
    EMPTY_RECORD,
    assert_user_text_only_in_data,
    call,
    each,
    evaluate,
    specs_in,
    verdicts,
)

SPECS = specs_in(RAG)
CHUNKS = ["Einstein won the Nobel Prize for the photoelectric effect.", "There was a cat.", "He won it in 1921."]
CONTEXT = json.dumps(CHUNKS)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.shortname)
def test_specs_keep_the_declared_ids_names_inputs_thresholds_and_arguments(spec):
    assert spec.inputs == assert_keeps_declared_contract(spec).inputs


# Context faithfulness


def test_context_faithfulness_passes_only_the_claims_the_context_supports():
    score, judge = evaluate(
        "ctx_faith",
        {"context": CONTEXT, "output": "o"},
        {"extract_claims": {"claims": ["a", "b", "c", "d"]}, "verify_claims": verdicts("yes", "idk", "no", "yes")},
    )
    # Unlike faith, a claim the context does not mention (idk) fails.
    assert score.result == 50.0
    assert score.explanation.startswith("2 of 4 claims are supported by the context")
    assert call(judge, "verify_claims")["data"]["context"] == CHUNKS
    assert [item["verdict"] for item in score.metadata["claims"]] == ["yes", "idk", "no", "yes"]


def test_context_faithfulness_sends_a_plain_context_as_one_chunk_and_honours_max_n_claims():
    score, judge = evaluate(
        "ctx_faith",
        {"context": "Just one passage.", "output": "o"},
        {"extract_claims": {"claims": ["a", "b", "c"]}, "verify_claims": each("claims", "yes")},
        max_n_claims=2,
    )
    assert score.result == 100.0
    assert call(judge, "verify_claims")["data"]["context"] == ["Just one passage."]
    assert "at most 2 claims" in call(judge, "extract_claims")["instructions"]
    assert len(score.metadata["claims"]) == 2


def test_context_faithfulness_does_not_cap_claims_by_default():
    _, judge = evaluate("ctx_faith", {"context": CONTEXT, "output": "o"}, {"extract_claims": {"claims": []}})
    assert "at most" not in call(judge, "extract_claims")["instructions"]


def test_context_faithfulness_of_an_output_without_claims_is_100():
    score, _ = evaluate("ctx_faith", {"context": CONTEXT, "output": "Hi"}, {"extract_claims": {"claims": []}})
    assert score.result == 100.0 and score.explanation


# Context ranking precision


def test_ranking_precision_is_the_average_precision_of_the_useful_chunks_in_the_given_order():
    score, judge = evaluate(
        "ctx_rank_prec",
        {"context": CONTEXT, "golden_answer": "Einstein, 1921, photoelectric effect.", "input": "Who won in 1921?"},
        {"judge_chunk_usefulness": verdicts("yes", "no", "yes")},
    )
    # precision@1 = 1, precision@3 = 2/3: AP = (1 + 2/3) / 2
    assert score.result == pytest.approx(100 * (1 + 2 / 3) / 2)
    assert "2 of 3 chunks are useful" in score.explanation
    assert [item["rank"] for item in score.metadata["chunks"]] == [1, 2, 3]
    sent = call(judge, "judge_chunk_usefulness")["data"]
    assert sent["chunks"][1] == {"index": 1, "chunk": "There was a cat."}
    assert sent["input"] == "Who won in 1921?"


def test_ranks_reorder_the_chunks_before_average_precision():
    score, _ = evaluate(
        "ctx_rank_prec",
        {"context": CONTEXT, "golden_answer": "g"},
        {"judge_chunk_usefulness": verdicts("yes", "no", "yes")},
        ranks=[3, 1, 2],
    )
    # Ranked order: cat (no), 1921 (yes), photoelectric (yes): AP = (1/2 + 2/3) / 2
    assert score.result == pytest.approx(100 * (1 / 2 + 2 / 3) / 2)
    assert [item["chunk"] for item in score.metadata["chunks"]] == [CHUNKS[1], CHUNKS[2], CHUNKS[0]]
    assert [item["rank"] for item in score.metadata["chunks"]] == [1, 2, 3]


def test_a_useful_chunk_ranked_first_alone_scores_100():
    score, _ = evaluate(
        "ctx_rank_prec",
        {"context": CONTEXT, "golden_answer": "g"},
        {"judge_chunk_usefulness": verdicts("no", "yes", "no")},
        ranks=[2.5, 0.5, 7],
    )
    assert score.result == 100.0


def test_no_useful_chunk_scores_0():
    score, _ = evaluate(
        "ctx_rank_prec",
        {"context": CONTEXT, "golden_answer": "g"},
        {"judge_chunk_usefulness": verdicts("no", "no", "no")},
    )
    assert score.result == 0.0
    assert score.explanation == "None of the 3 chunks is useful for golden_answer."


def test_ranks_of_another_length_than_the_chunks_are_unusable_input():
    with pytest.raises(MetricInputError, match="ranks has 2 values but the context has 3 chunks"):
        evaluate("ctx_rank_prec", {"context": CONTEXT, "golden_answer": "g"}, {}, ranks=[1, 2])


def test_one_verdict_per_chunk_is_required():
    replies = {"judge_chunk_usefulness": verdicts("yes", "no")}
    with pytest.raises(JudgeError):
        evaluate("ctx_rank_prec", {"context": CONTEXT, "golden_answer": "g"}, replies)


# Context recall


def test_context_recall_is_the_share_of_golden_statements_the_context_backs():
    score, judge = evaluate(
        "ctx_recall",
        {"context": CONTEXT, "golden_answer": "g"},
        {
            "extract_golden_statements": {"statements": ["a", "b", "c", "d"]},
            "attribute_to_context": verdicts("yes", "yes", "no", "yes"),
        },
    )
    assert score.result == 75.0
    assert score.explanation.startswith("3 of 4 statements of golden_answer are found in the context")
    assert call(judge, "attribute_to_context")["data"]["context"] == CHUNKS


def test_context_recall_of_a_golden_answer_without_statements_is_0():
    score, _ = evaluate(
        "ctx_recall", {"context": CONTEXT, "golden_answer": ""}, {"extract_golden_statements": {"statements": []}}
    )
    assert score.result == 0.0 and score.explanation


# Context relevancy


def test_context_relevancy_is_the_share_of_context_statements_relevant_to_the_input():
    score, judge = evaluate(
        "ctx_rel",
        {"context": CONTEXT, "input": "What did Einstein win?"},
        {
            "extract_context_statements": {"statements": ["prize", "cat", "1921"]},
            "judge_relevance": verdicts("yes", "no", "yes"),
        },
    )
    assert score.result == pytest.approx(200 / 3)
    assert score.metadata["statements"][1] == {"statement": "cat", "verdict": "no", "reason": "Reason 1."}
    assert call(judge, "extract_context_statements")["data"]["context"] == CHUNKS
    assert call(judge, "judge_relevance")["data"]["input"] == "What did Einstein win?"


def test_context_relevancy_judges_at_most_max_n_statements():
    score, judge = evaluate(
        "ctx_rel",
        {"context": CONTEXT, "input": "i"},
        {"extract_context_statements": {"statements": list("abcdef")}, "judge_relevance": each("statements", "no")},
        max_n_statements=4,
    )
    assert score.result == 0.0
    assert "at most 4 statements" in call(judge, "extract_context_statements")["instructions"]
    assert len(call(judge, "judge_relevance")["data"]["statements"]) == 4


def test_a_context_without_statements_is_not_relevant():
    score, _ = evaluate("ctx_rel", {"context": "[]", "input": "i"}, {"extract_context_statements": {"statements": []}})
    assert score.result == 0.0 and score.explanation


def test_a_relevancy_verdict_of_idk_is_outside_this_recipes_schema():
    replies = {"extract_context_statements": {"statements": ["a"]}, "judge_relevance": verdicts("idk")}
    with pytest.raises(JudgeError):
        evaluate("ctx_rel", {"context": CONTEXT, "input": "i"}, replies)


# Context sufficiency


def test_context_sufficiency_is_the_share_of_the_inputs_needs_the_context_meets():
    score, judge = evaluate(
        "ctx_suff",
        {"context": CONTEXT, "input": "Who won the 1921 Nobel Prize in Physics, and for what?"},
        {
            "list_information_needs": {"needs": ["Who won it?", "For what?", "Where was the winner born?"]},
            "check_needs_in_context": verdicts("yes", "yes", "no"),
        },
    )
    assert score.result == pytest.approx(200 / 3)
    assert score.explanation.startswith("2 of 3 needs of an answer to the input are met by the context")
    sent = call(judge, "check_needs_in_context")["data"]
    assert sent["needs"][2] == {"index": 2, "need": "Where was the winner born?"}
    assert sent["context"] == CHUNKS and sent["input"].startswith("Who won")


def test_an_input_that_needs_no_information_finds_any_context_sufficient():
    score, judge = evaluate(
        "ctx_suff", {"context": CONTEXT, "input": "Thanks!"}, {"list_information_needs": {"needs": []}}
    )
    assert score.result == 100.0 and score.explanation
    assert judge.steps() == ["list_information_needs"]


# Context waste


def test_context_waste_scores_the_share_of_the_context_the_output_uses():
    score, judge = evaluate(
        "ctx_waste",
        {"context": CONTEXT, "output": "Einstein won for the photoelectric effect."},
        {
            "extract_context_statements": {"statements": ["prize", "cat", "1921", "photoelectric"]},
            "judge_use_in_output": verdicts("yes", "no", "no", "yes"),
        },
    )
    # Higher is better: half of the context is used, half is wasted.
    assert score.result == 50.0
    assert score.explanation.startswith("2 of 4 statements of the context are used by the output")
    assert call(judge, "judge_use_in_output")["data"]["output"].startswith("Einstein")


def test_a_context_without_statements_wastes_nothing():
    score, _ = evaluate(
        "ctx_waste", {"context": " ", "output": "o"}, {"extract_context_statements": {"statements": []}}
    )
    assert score.result == 100.0 and score.explanation


# User text stays in the data


MARKER = "ZQX-user-text-7731"


def marked_replies():
    """Replies to every step, with items that quote the marker as a judge would quote the user's text."""
    return {
        "extract_claims": {"claims": [f"{MARKER} claim"]},
        "verify_claims": each("claims", "yes"),
        "judge_chunk_usefulness": each("chunks", "yes"),
        "extract_golden_statements": {"statements": [f"{MARKER} golden"]},
        "attribute_to_context": each("statements", "yes"),
        "extract_context_statements": {"statements": [f"{MARKER} context"]},
        "judge_relevance": each("statements", "yes"),
        "list_information_needs": {"needs": [f"{MARKER} need"]},
        "check_needs_in_context": each("needs", "yes"),
        "judge_use_in_output": each("statements", "yes"),
    }


@pytest.mark.parametrize("shortname", sorted(spec.shortname for spec in SPECS))
@pytest.mark.parametrize("context", [f"passage {MARKER}", json.dumps([f"one {MARKER}", f"two {MARKER}"])])
def test_user_text_reaches_the_judge_only_as_data(shortname, context):
    record = {field: f"{field} {MARKER}" for field in EMPTY_RECORD} | {"context": context}
    score, judge = evaluate(shortname, record, marked_replies())
    assert_user_text_only_in_data(judge, MARKER)
    assert score.explanation
    json.dumps(score.metadata)  # serialisable as eval_metadata
