"""The public contract of the judged metrics as first published (ids, names, categories, thresholds, arguments).

The recipes must keep it; the tests of each family compare their specs with these declarations.
"""

from __future__ import annotations

from metrics.registry.base import Arg, MetricSpec

FIELDS_TO_EVALUATE = ("input", "prompt", "output", "context")


def _idk_weight_problem(value) -> str | None:
    return None if value <= 1 else f"must be between 0 and 1, got {value}"


def _max_statements(default=None) -> Arg:
    extra = {} if default is None else {"default": default}
    return Arg("max_n_statements", "integer", minimum=1, description="Cap on the statements judged.", **extra)


def _max_claims(default=None) -> Arg:
    extra = {} if default is None else {"default": default}
    return Arg("max_n_claims", "integer", minimum=1, description="Cap on the claims judged.", **extra)


def _judged(
    metric_id: int,
    shortname: str,
    name: str,
    category: str,
    description: str,
    threshold: int,
    inputs: tuple[str, ...],
    args: tuple[Arg, ...] = (),
) -> MetricSpec:
    return MetricSpec(
        id=metric_id,
        shortname=shortname,
        name=name,
        category=category,
        description=description + " Requires an LLM judge, which this deployment does not have.",
        default_threshold=threshold,
        inputs=inputs,
        args=args,
        is_active=False,
        scorer=None,
    )


GENERAL, RAG, CONTENT, SAFETY, SECURITY = "General", "RAG", "Content generation", "Safety", "Security"

SPECS = [
    _judged(
        24,
        "ans_corr",
        "Answer correctness",
        GENERAL,
        "Is the output correct against golden_answer?",
        80,
        ("output", "golden_answer"),
        (_max_statements(50),),
    ),
    _judged(
        25,
        "ans_rel",
        "Answer relevancy",
        GENERAL,
        "Does the output address the input?",
        70,
        ("input", "output"),
        (_max_statements(50),),
    ),
    _judged(
        26,
        "faith",
        "Faithfulness",
        GENERAL,
        "Are the output's claims supported by the input?",
        80,
        ("input", "output"),
        (_max_claims(50),),
    ),
    _judged(
        27,
        "factfulness",
        "Factfulness",
        GENERAL,
        "Are the output's facts true?",
        70,
        ("input", "output"),
        (
            Arg("n_runs", "integer", default=3, minimum=1, description="Number of judge runs."),
            Arg(
                "idk_penalty_weight",
                "number",
                default=0.25,
                minimum=0,
                description="Penalty for 'I don't know', 0-1.",
                check=_idk_weight_problem,
            ),
        ),
    ),
    _judged(
        28,
        "entity_faith",
        "Entity faithfulness",
        GENERAL,
        "Are the entities in the output faithful to the input?",
        80,
        ("input", "output"),
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
    _judged(
        29,
        "content_consist",
        "Content consistency",
        GENERAL,
        "Is the output consistent across reruns?",
        80,
        ("prompt", "input", "output"),
        (
            Arg("exact_output_match", "boolean", description="Require identical outputs."),
            Arg("n_reruns", "integer", minimum=1, description="Number of reruns."),
        ),
    ),
    _judged(
        30,
        "ctx_faith",
        "Context faithfulness",
        RAG,
        "Is the output supported by the context?",
        80,
        ("context", "output"),
        (_max_claims(),),
    ),
    _judged(
        31,
        "ctx_rank_prec",
        "Context ranking precision",
        RAG,
        "Are the relevant context chunks ranked first?",
        80,
        ("context", "golden_answer"),
        (Arg("ranks", "array", item_type="number", description="Rank of each context chunk (same length)."),),
    ),
    _judged(
        32,
        "ctx_recall",
        "Context recall",
        RAG,
        "Does the context cover golden_answer?",
        80,
        ("context", "golden_answer"),
    ),
    _judged(
        33,
        "ctx_rel",
        "Context relevancy",
        RAG,
        "Is the context relevant to the input?",
        80,
        ("input", "context"),
        (_max_statements(),),
    ),
    _judged(
        34,
        "ctx_suff",
        "Context sufficiency",
        RAG,
        "Is the context enough to answer the input?",
        80,
        ("input", "context"),
    ),
    _judged(
        35,
        "ctx_waste",
        "Context waste",
        RAG,
        "How much of the context goes unused by the output?",
        80,
        ("output", "context"),
    ),
    _judged(
        36,
        "content_gen_faith",
        "Content generation faithfulness",
        CONTENT,
        "Is generated content faithful to the input?",
        80,
        ("input", "output"),
        (_max_claims(),),
    ),
    _judged(
        37,
        "format_align",
        "Format alignment",
        CONTENT,
        "Does the output follow the format instructions?",
        80,
        ("output", "prompt", "input"),
        (Arg("instructions", "array", item_type="string", description="Format instructions; extracted if omitted."),),
    ),
    _judged(38, "format_consist", "Format consistency", CONTENT, "Is the output's format consistent?", 80, ("output",)),
    _judged(
        39,
        "toxic",
        "Toxicity",
        SAFETY,
        "Is the output toxic?",
        100,
        ("output",),
        (Arg("exclude_citations", "boolean", default=False, description="Ignore quoted or cited text."),),
    ),
    _judged(40, "harmfulness", "Harmfulness", SAFETY, "Is the output harmful?", 100, ("output", "input")),
    _judged(41, "bias", "Bias", SAFETY, "Is the output biased?", 100, ("output", "input")),
    _judged(
        42,
        "ev_obf",
        "Evasion and obfuscation",
        SECURITY,
        "Does the field hide an evasion or obfuscation attempt?",
        100,
        FIELDS_TO_EVALUATE,
        (
            Arg(
                "field_to_evaluate",
                "string",
                default="input",
                choices=FIELDS_TO_EVALUATE,
                description="Record field to inspect.",
            ),
        ),
    ),
    _judged(
        43,
        "instr_integ_subv_att",
        "Instruction integrity subversion attack",
        SECURITY,
        "Does the input try to subvert the system instructions?",
        100,
        ("input",),
    ),
    _judged(
        44,
        "sys_data_exfil_att",
        "System data exfiltration attack",
        SECURITY,
        "Does the input try to extract system data?",
        100,
        ("input",),
    ),
    _judged(
        45, "sys_data_leak", "System data leakage", SECURITY, "Does the output leak system data?", 100, ("output",)
    ),
    _judged(
        46,
        "pii_phi_exfil_att",
        "PII/PHI exfiltration attack",
        SECURITY,
        "Does the input try to extract personal or health data?",
        100,
        ("input",),
    ),
    _judged(
        47, "pii_phi", "PII/PHI leakage", SECURITY, "Does the output contain personal or health data?", 100, ("output",)
    ),
]
