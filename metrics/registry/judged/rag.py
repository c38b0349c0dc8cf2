"""RAG judged metrics: how the retrieved context serves the answer (ids 30-35).

`context` is one passage or a JSON list of passages (chunks); the judge receives it as a list either way.
"""

from __future__ import annotations

from ..base import Arg, Args, MetricInputError, Record, Score, field_text
from .common import RAG, context_chunks, judged_spec, max_claims, max_statements, present
from .contract import Judge
from .decompose import DecomposeThenVerify, claims_against, statements_of, verify

CONTEXT_STATEMENTS = (
    "Break `context`, a list of passages, into its statements. A statement is one short sentence that makes sense "
    "on its own: replace pronouns with what they refer to and keep the qualifiers it was stated with. Cover every "
    "passage, in order; do not add, merge or judge."
)


# Context faithfulness

CONTEXT_FAITHFULNESS = claims_against(
    "context",
    passes=("yes",),
    what="are supported by the context",
    empty_explanation="The output makes no claim, so nothing in it is ungrounded.",
)


# Context ranking precision


def average_precision(useful: list[bool]) -> float:
    """Mean of precision@k over the positions k of the useful chunks; 0 when none is useful."""
    hits, total = 0, 0.0
    for position, is_useful in enumerate(useful, start=1):
        if is_useful:
            hits += 1
            total += hits / position
    return total / hits if hits else 0.0


async def context_ranking_precision(record: Record, args: Args, judge: Judge) -> Score:
    chunks = context_chunks(field_text(record, "context"))
    ranks = args.get("ranks")
    if ranks is None:
        ranks = list(range(1, len(chunks) + 1))
    elif len(ranks) != len(chunks):
        raise MetricInputError(f"ranks has {len(ranks)} values but the context has {len(chunks)} chunks")
    verdicts = await verify(
        judge,
        step="judge_chunk_usefulness",
        items=chunks,
        key="chunks",
        item_key="chunk",
        instructions=(
            "For each item in `chunks` (retrieved passages), judge whether it was useful in arriving at "
            "`golden_answer`, the expected answer to `input` when `input` is given: 'yes' if it supplies part of "
            "what `golden_answer` says; 'no' if it does not."
        ),
        data={**present(record, "input"), "golden_answer": record["golden_answer"]},
    )
    # ranks[i] is the rank of chunk i; ties keep the chunks' own order.
    order = sorted(range(len(chunks)), key=lambda index: (ranks[index], index))
    ranked = [{**verdicts[index], "rank": ranks[index]} for index in order]
    useful = [item["verdict"] == "yes" for item in ranked]
    result = 100 * average_precision(useful)
    if any(useful):
        explanation = (
            f"Average precision {result:.1f}: {sum(useful)} of {len(chunks)} chunks are useful for golden_answer, "
            f"the first at position {useful.index(True) + 1}."
        )
    else:
        explanation = f"None of the {len(chunks)} chunks is useful for golden_answer."
    return Score(result=result, explanation=explanation, metadata={"chunks": ranked})


# Context recall

CONTEXT_RECALL = DecomposeThenVerify(
    key="statements",
    item_key="statement",
    text=("golden_answer",),
    reference=("context",),
    extract_step="extract_golden_statements",
    extract_instructions=statements_of("golden_answer"),
    verify_step="attribute_to_context",
    verify_instructions=(
        "For each item in `statements` (taken from a reference answer), judge whether it can be attributed to "
        "`context`, a list of passages: 'yes' if some passage states it or it follows directly from them; 'no' "
        "otherwise. In the reason, name the passage by its position (first, second...) when the verdict is yes."
    ),
    what="of golden_answer are found in the context",
    empty_result=0.0,
    empty_explanation="golden_answer makes no statement, so there is nothing the context could be shown to cover.",
)


# Context relevancy

CONTEXT_RELEVANCY = DecomposeThenVerify(
    key="statements",
    item_key="statement",
    text=("context",),
    reference=("input",),
    cap_arg="max_n_statements",
    extract_step="extract_context_statements",
    extract_instructions=CONTEXT_STATEMENTS,
    verify_step="judge_relevance",
    verify_instructions=(
        "For each item in `statements` (taken from passages retrieved for `input`), judge whether it is "
        "relevant to `input`: 'yes' if it helps answer or address `input`; 'no' if it does not."
    ),
    what="of the context are relevant to the input",
    empty_result=0.0,
    empty_explanation="The context makes no statement, so nothing in it is relevant to the input.",
)


# Context sufficiency

CONTEXT_SUFFICIENCY = DecomposeThenVerify(
    key="needs",
    item_key="need",
    text=("input",),
    reference=("input", "context"),
    extract_step="list_information_needs",
    extract_instructions=(
        "List the distinct pieces of information that a complete and correct answer to `input` needs, each as "
        "one short question (for a question about the height of a tower: the tower's height). Include what an "
        "answer must establish on the way, not general knowledge any reader has. Do not answer them."
    ),
    verify_step="check_needs_in_context",
    verify_instructions=(
        "For each item in `needs` (what an answer to `input` needs), judge whether `context`, a list of "
        "passages, supplies it: 'yes' if the passages state it or it follows directly from them; 'no' if it is "
        "missing, or only partly there. Judge only by `context`, not by your own knowledge."
    ),
    what="of an answer to the input are met by the context",
    empty_result=100.0,
    empty_explanation="The input needs no information to be answered, so any context is enough.",
)


# Context waste

CONTEXT_WASTE = DecomposeThenVerify(
    key="statements",
    item_key="statement",
    text=("context",),
    reference=("output",),
    extract_step="extract_context_statements",
    extract_instructions=CONTEXT_STATEMENTS,
    verify_step="judge_use_in_output",
    verify_instructions=(
        "For each item in `statements` (taken from passages given to the writer of `output`), judge whether "
        "`output` uses it: 'yes' if `output` states it, paraphrases it or builds on it; 'no' if `output` makes "
        "no use of it."
    ),
    what="of the context are used by the output",
    empty_result=100.0,
    empty_explanation="The context makes no statement, so none of it goes to waste.",
)


SPECS = [
    judged_spec(
        30,
        "ctx_faith",
        "Context faithfulness",
        RAG,
        "Whether every claim of the output is grounded in the context. Decompose then verify, after Ragas' "
        "faithfulness: the output's claims (up to max_n_claims) are checked against the context chunks and only "
        "supported claims pass, so unsupported claims fail like contradicted ones; score = share supported, 100 "
        "with no claims.",
        80,
        ("context", "output"),
        CONTEXT_FAITHFULNESS,
        (max_claims(),),
    ),
    judged_spec(
        31,
        "ctx_rank_prec",
        "Context ranking precision",
        RAG,
        "Whether the context chunks useful for golden_answer are ranked first, after Ragas' context precision: each "
        "chunk is judged useful or not for reaching golden_answer, chunks are ordered by ranks (ranks[i] is chunk "
        "i's rank, lower first; the given order without ranks), and score = average precision; 0 when none is useful.",
        80,
        ("context", "golden_answer"),
        context_ranking_precision,
        (Arg("ranks", "array", item_type="number", description="Rank of each context chunk (same length)."),),
    ),
    judged_spec(
        32,
        "ctx_recall",
        "Context recall",
        RAG,
        "How much of golden_answer the context covers, after Ragas' context recall: golden_answer is split into "
        "statements and each is judged attributable to the context or not; score = share attributable, 0 when "
        "golden_answer states nothing.",
        80,
        ("context", "golden_answer"),
        CONTEXT_RECALL,
    ),
    judged_spec(
        33,
        "ctx_rel",
        "Context relevancy",
        RAG,
        "How much of the context is relevant to the input, after DeepEval's contextual relevancy: the context's "
        "statements (up to max_n_statements) are each judged relevant to the input or not; score = share relevant, "
        "0 when the context states nothing.",
        80,
        ("input", "context"),
        CONTEXT_RELEVANCY,
        (max_statements(),),
    ),
    judged_spec(
        34,
        "ctx_suff",
        "Context sufficiency",
        RAG,
        "Whether the context holds what an answer to the input needs: a graded form of the sufficient-context "
        "autorater (Joren et al., 2025), where the judge lists what a complete answer needs, then checks each need "
        "against the context; score = share of needs met, 100 when the input needs no information.",
        80,
        ("input", "context"),
        CONTEXT_SUFFICIENCY,
    ),
    judged_spec(
        35,
        "ctx_waste",
        "Context waste",
        RAG,
        "How little of the context goes unused by the output (higher = less waste), after Ragas' context "
        "utilization taken down to statements: the context's statements are each judged used by the output or not; "
        "score = share used, 100 when the context states nothing.",
        80,
        ("output", "context"),
        CONTEXT_WASTE,
    ),
]
