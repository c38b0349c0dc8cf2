"""Reference-overlap metrics: BLEU (sacrebleu) and ROUGE (scored as rouge-score scores it).

ROUGE tokenisation is rouge-score's on ASCII text, exactly: lowercase (unless case_sensitive), split on every
character that is not a letter or digit (so "user_id" is two words), stem words longer than 3 characters with
NLTK's default Porter stemmer. rouge-score deletes every other character, so it cannot score text beyond ASCII at
all; here a word is a run of Unicode letters, combining marks and digits, and each Han, Hiragana or Katakana
character is a word of its own (those scripts put no spaces between words). Text is not normalised (a
precomposed "é" and "e" + combining accent are different words). The scores are rouge-score's formulas: the F1
of clipped n-gram counts for ROUGE-N (any N, as n-grams are named by doubling rather than built one by one) and of
the longest common subsequence for ROUGE-L.
"""

from __future__ import annotations

from collections import Counter
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import regex  # type: ignore[import-untyped]  # the regex package ships no type information

from .base import Arg, Args, MetricInputError, MetricSpec, Record, Score, ensure_size, field_text

if TYPE_CHECKING:
    from sacrebleu.metrics.bleu import BLEU

STRUCTURAL = "Structural"
# ROUGE-L over two texts this long takes about a second here; rouge-score's own quadratic table would take hours.
MAX_ROUGE_L_WORDS = 50_000
_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}"
WORD_PATTERN = regex.compile(rf"[{_UNSPACED}]|(?:(?![{_UNSPACED}])[\p{{L}}\p{{M}}\p{{N}}])+")
STEMMED_MIN_LENGTH = 4  # rouge-score stems only words longer than 3 characters
# Up to this N, n-grams are tuples of words, as rouge-score builds them; beyond it, names (see ngram_names).
TUPLE_NGRAMS_UP_TO = 16


@cache
def _bleu(smoothing: bool, case_sensitive: bool) -> BLEU:
    from sacrebleu.metrics.bleu import BLEU  # where it is defined: sacrebleu.metrics does not declare re-exports

    # Sentence-level BLEU-4; effective order keeps identical short sentences at 100.
    return BLEU(smooth_method="exp" if smoothing else "none", lowercase=not case_sensitive, effective_order=True)


def score_bleu(record: Record, args: Args) -> Score:
    ensure_size("output", field_text(record, "output"))
    ensure_size("golden_answer", field_text(record, "golden_answer"))
    bleu = _bleu(args.get("smoothing", True), args.get("case_sensitive", False))
    result = bleu.sentence_score(field_text(record, "output"), [field_text(record, "golden_answer")]).score
    return Score(result, f"BLEU-4 {result:.2f} against golden_answer")


@cache
def _porter() -> Any:  # an nltk PorterStemmer (nltk is untyped)
    from nltk.stem import porter  # type: ignore[import-untyped]

    return porter.PorterStemmer()  # NLTK_EXTENSIONS mode, as rouge-score constructs it


@lru_cache(maxsize=65_536)
def _stem(word: str, lowercase: bool) -> str:
    stemmed: str = _porter().stem(word, to_lowercase=lowercase)
    return stemmed


def tokenize(text: str, use_stemmer: bool, case_sensitive: bool) -> list[str]:
    """ROUGE words of `text` (see the module docstring)."""
    if not case_sensitive:
        text = text.lower()
    tokens: list[str] = WORD_PATTERN.findall(text)
    if use_stemmer:
        lowercase = not case_sensitive
        tokens = [_stem(token, lowercase) if len(token) >= STEMMED_MIN_LENGTH else token for token in tokens]
    return tokens


def rouge_type_problem(value: Any) -> str | None:
    if value == "L" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return None
    return f'must be a positive integer (ROUGE-N) or "L", got {value!r}'


def _combine(prefixes: list[list[int]], suffixes: list[list[int]], offset: int, width: int) -> list[list[int]]:
    """Names of the grams made of prefix gram i and suffix gram i + offset, fresh names shared by all sequences."""
    keys = [
        [head * width + tail for head, tail in zip(prefix, suffix[offset:], strict=False)]
        for prefix, suffix in zip(prefixes, suffixes, strict=True)
    ]
    dense = {key: index for index, key in enumerate(dict.fromkeys(key for row in keys for key in row))}
    return [[dense[key] for key in row] for row in keys]


def ngram_names(sequences: list[list[str]], n: int) -> list[list[int]]:
    """For each sequence, one name per n-gram (by start), equal names exactly for equal n-grams across all.

    Names of 2^k-grams pair names of 2^(k-1)-grams (Karp, Miller and Rosenberg), and an n-gram is named from the
    power-of-two pieces of n: O(words x log n), where building n-gram tuples costs words x n. Names are small
    integers, fresh for each length, so a pair of names packs into one integer key.
    """
    tokens: dict[str, int] = {}
    piece = [[tokens.setdefault(token, len(tokens)) for token in sequence] for sequence in sequences]
    width = len(tokens) or 1  # piece names lie in range(width)
    result: list[list[int]] | None
    span, built, result = 1, 0, None  # `piece` names span-grams, `result` names built-grams
    while True:
        if n & 1:
            if result is None:
                result, built = piece, span
            else:
                result = _combine(result, piece, built, width)
                built += span
        n >>= 1
        if not n:
            assert result is not None  # n >= 1 (callers pass n > TUPLE_NGRAMS_UP_TO): a set bit of n has set it
            return result
        if not any(piece):
            return [[] for _ in sequences]  # every sequence is shorter than n
        piece = _combine(piece, piece, span, width)
        width = 1 + max((max(names) for names in piece if names), default=0)
        span *= 2


def fmeasure(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _ngram_counts(target: list[str], prediction: list[str], n: int) -> tuple[Counter[Any], ...]:
    # (target counts, prediction counts): keyed by n-gram tuples, or past TUPLE_NGRAMS_UP_TO by n-gram names
    if n <= TUPLE_NGRAMS_UP_TO:
        return tuple(
            Counter(zip(*(tokens[start:] for start in range(n)), strict=False)) for tokens in (target, prediction)
        )
    return tuple(Counter(names) for names in ngram_names([target, prediction], n))


def rouge_n(target: list[str], prediction: list[str], n: int) -> float:
    """F1 as rouge-score computes ROUGE-N: n-gram counts clipped to the target's, over each side's total."""
    if n > min(len(target), len(prediction)):
        return 0.0  # one side has no n-gram, so precision or recall is 0
    target_counts, prediction_counts = _ngram_counts(target, prediction, n)
    overlap = sum(min(count, prediction_counts[gram]) for gram, count in target_counts.items())
    precision = overlap / max(len(prediction) - n + 1, 1)
    recall = overlap / max(len(target) - n + 1, 1)
    return fmeasure(precision, recall)


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


def rouge_l(target: list[str], prediction: list[str]) -> float:
    """F1 as rouge-score computes ROUGE-L: LCS over the prediction (precision) and over the target (recall)."""
    if not target or not prediction:
        return 0.0
    common = lcs_length(target, prediction)
    return fmeasure(common / len(prediction), common / len(target))


def score_rouge(record: Record, args: Args) -> Score:
    rouge_type = args.get("rouge_type", 2)
    use_stemmer, case_sensitive = args.get("use_stemmer", False), args.get("case_sensitive", False)
    ensure_size("output", field_text(record, "output"))
    ensure_size("golden_answer", field_text(record, "golden_answer"))
    target = tokenize(field_text(record, "golden_answer"), use_stemmer, case_sensitive)
    prediction = tokenize(field_text(record, "output"), use_stemmer, case_sensitive)
    if rouge_type == "L":
        for field_name, tokens in (("golden_answer", target), ("output", prediction)):
            if len(tokens) > MAX_ROUGE_L_WORDS:
                raise MetricInputError(
                    f"too large to evaluate: {field_name} has over {MAX_ROUGE_L_WORDS:,} words, the ROUGE-L limit"
                )
        result = rouge_l(target, prediction) * 100
    else:
        result = rouge_n(target, prediction, rouge_type) * 100
    return Score(result, f"ROUGE-{rouge_type} F1 {result:.2f} against golden_answer")


SPECS = [
    MetricSpec(
        id=5,
        shortname="bleu",
        name="BLEU",
        category=STRUCTURAL,
        description=(
            "Sentence-level BLEU-4 of the output against golden_answer, x 100 (sacrebleu, 13a tokenization, "
            "exponential smoothing when enabled). Like every structural metric it scores an empty string (0 here, "
            "as sacrebleu gives); only a missing input is an evaluation error."
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
            'F1 of ROUGE-N (rouge_type any positive integer N) or ROUGE-L (rouge_type "L") between the output '
            "and golden_answer, x 100, equal to rouge-score's on ASCII text: lowercased unless case_sensitive, "
            "split at every character that is not a letter or digit (user_id is two words), NLTK's Porter "
            "stemmer on words over 3 characters. Beyond ASCII, where rouge-score drops the characters, a word is "
            "a run of Unicode letters, marks and digits, and each Han, Hiragana or Katakana character is a word. "
            "Like every structural metric it scores an empty string (0 here, as rouge-score gives); only a missing "
            "input is an evaluation error."
        ),
        default_threshold=70,
        inputs=("output", "golden_answer"),
        args=(
            Arg(
                "rouge_type",
                "integer|string",
                default=2,
                description='N for ROUGE-N (any positive integer), or "L" for ROUGE-L.',
                check=rouge_type_problem,
            ),
            Arg(
                "use_stemmer",
                "boolean",
                default=False,
                description="Stem words longer than 3 characters (NLTK's Porter stemmer, English).",
            ),
            Arg("case_sensitive", "boolean", default=False, description="Compare letter case."),
        ),
        is_active=True,
        scorer=score_rouge,
    ),
]
