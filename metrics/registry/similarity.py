"""Reference-overlap metrics: BLEU (sacrebleu) and ROUGE (rouge-score)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from .base import Arg, MetricInputError, MetricSpec, Score, ensure_size

STRUCTURAL = "Structural"
# ROUGE-L over two texts this long takes about a second here; rouge-score's own quadratic table would take hours.
MAX_ROUGE_L_WORDS = 50_000
WORD_PATTERN = re.compile(r"\w+")


def _require_reference(record: Mapping[str, str | None]) -> None:
    if not record["golden_answer"].strip():
        raise MetricInputError("golden_answer is empty, so there is no reference to compare with")


@cache
def _bleu(smoothing: bool, case_sensitive: bool):
    from sacrebleu.metrics import BLEU

    # Sentence-level BLEU-4; effective order keeps identical short sentences at 100.
    return BLEU(smooth_method="exp" if smoothing else "none", lowercase=not case_sensitive, effective_order=True)


def score_bleu(record: Mapping[str, str | None], args: Mapping[str, Any]) -> Score:
    _require_reference(record)
    ensure_size("output", record["output"])
    ensure_size("golden_answer", record["golden_answer"])
    bleu = _bleu(args.get("smoothing", True), args.get("case_sensitive", False))
    result = bleu.sentence_score(record["output"], [record["golden_answer"]]).score
    return Score(result, f"BLEU-4 {result:.2f} against golden_answer")


class _Tokenizer:
    """Unicode-aware tokenizer for rouge-score, whose default one drops non-ASCII words and always lowercases."""

    def __init__(self, use_stemmer: bool, case_sensitive: bool):
        self.case_sensitive = case_sensitive
        self.stemmer = None
        if use_stemmer:
            from nltk.stem import porter

            self.stemmer = porter.PorterStemmer("ORIGINAL_ALGORITHM")

    def tokenize(self, text: str) -> list[str]:
        if not self.case_sensitive:
            text = text.lower()
        tokens = WORD_PATTERN.findall(text)
        if self.stemmer is not None:
            # Same rule as rouge-score: only words longer than 3 characters are stemmed.
            tokens = [
                self.stemmer.stem(token, to_lowercase=not self.case_sensitive) if len(token) > 3 else token
                for token in tokens
            ]
        return tokens


@cache
def _tokenizer(use_stemmer: bool, case_sensitive: bool) -> _Tokenizer:
    return _Tokenizer(use_stemmer, case_sensitive)


@cache
def _rouge_n(rouge_type: int, use_stemmer: bool, case_sensitive: bool):
    from rouge_score import rouge_scorer

    name = f"rouge{rouge_type}"
    return name, rouge_scorer.RougeScorer([name], tokenizer=_tokenizer(use_stemmer, case_sensitive))


def rouge_type_problem(value: Any) -> str | None:
    if value == "L" or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9):
        return None
    return f'must be an integer from 1 to 9 (ROUGE-N) or "L", got {value!r}'


def lcs_length(first: list[str], second: list[str]) -> int:
    """Length of the longest common subsequence, by the bit-parallel recurrence (Hyyrö 2004).

    One big integer per distinct token of the shorter list marks where it occurs; each token of the longer list
    then costs a few big-integer operations, instead of a row of the quadratic table rouge-score fills.
    """
    if len(first) < len(second):
        first, second = second, first
    if not second:
        return 0
    positions: dict[str, list[int]] = {}
    for index, token in enumerate(second):
        positions.setdefault(token, []).append(index)
    masks = {token: sum(1 << index for index in indexes) for token, indexes in positions.items()}
    full = (1 << len(second)) - 1
    row = full
    for token in first:
        mask = masks.get(token)
        if mask is not None:
            kept = row & mask
            row = ((row + kept) | (row - kept)) & full
    return len(second) - row.bit_count()


def _rouge_l(target: list[str], prediction: list[str]) -> float:
    """F1 as rouge-score computes ROUGE-L: LCS over the prediction (precision) and over the target (recall)."""
    if not target or not prediction:
        return 0.0
    common = lcs_length(target, prediction)
    precision, recall = common / len(prediction), common / len(target)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def score_rouge(record: Mapping[str, str | None], args: Mapping[str, Any]) -> Score:
    _require_reference(record)
    rouge_type = args.get("rouge_type", 2)
    use_stemmer, case_sensitive = args.get("use_stemmer", False), args.get("case_sensitive", False)
    ensure_size("output", record["output"])
    ensure_size("golden_answer", record["golden_answer"])
    tokenizer = _tokenizer(use_stemmer, case_sensitive)
    target, prediction = tokenizer.tokenize(record["golden_answer"]), tokenizer.tokenize(record["output"])
    if rouge_type == "L":
        for field_name, tokens in (("golden_answer", target), ("output", prediction)):
            if len(tokens) > MAX_ROUGE_L_WORDS:
                raise MetricInputError(
                    f"too large to evaluate: {field_name} has over {MAX_ROUGE_L_WORDS:,} words, the ROUGE-L limit"
                )
        result = _rouge_l(target, prediction) * 100
    else:
        name, scorer = _rouge_n(rouge_type, use_stemmer, case_sensitive)
        result = scorer.score(record["golden_answer"], record["output"])[name].fmeasure * 100
    return Score(result, f"ROUGE-{rouge_type} F1 {result:.2f} against golden_answer")


SPECS = [
    MetricSpec(
        id=5,
        shortname="bleu",
        name="BLEU",
        category=STRUCTURAL,
        description=(
            "Sentence-level BLEU-4 of the output against golden_answer, x 100 (sacrebleu, 13a tokenization, "
            "exponential smoothing when enabled). An empty output scores 0; an empty golden_answer is an "
            "evaluation error."
        ),
        default_threshold=70,
        inputs=("output", "golden_answer"),
        args=(
            Arg("smoothing", "boolean", default=True, description="Smooth zero n-gram counts."),
            Arg("case_sensitive", "boolean", default=False, description="Compare letter case."),
        ),
        is_active=True,
        scorer=score_bleu,
    ),
    MetricSpec(
        id=18,
        shortname="rouge",
        name="ROUGE",
        category=STRUCTURAL,
        description=(
            'F1 of ROUGE-N (rouge_type an integer N) or ROUGE-L (rouge_type "L") between the output and '
            "golden_answer, x 100 (rouge-score). Words are Unicode letter/digit runs. An empty output scores 0; "
            "an empty golden_answer is an evaluation error."
        ),
        default_threshold=70,
        inputs=("output", "golden_answer"),
        args=(
            Arg(
                "rouge_type",
                "integer|string",
                default=2,
                description='N for ROUGE-N (1 to 9), or "L" for ROUGE-L.',
                check=rouge_type_problem,
            ),
            Arg("use_stemmer", "boolean", default=False, description="Apply the Porter stemmer to words."),
            Arg("case_sensitive", "boolean", default=False, description="Compare letter case."),
        ),
        is_active=True,
        scorer=score_rouge,
    ),
]
