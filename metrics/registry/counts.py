"""Count metrics: characters, words, sentences and paragraphs within optional bounds.

Shared rules: a word is a whitespace-separated token (or a token between custom delimiters), with
punctuation stripped from its ends when requested; a token made only of punctuation is not a word. A sentence
ends at . ! ? or an ellipsis followed by whitespace, at a CJK 。！？, at a blank line, or at the end of the
text. A paragraph is a block of text separated from the next by a blank line. Everything is counted in Unicode
code points, exactly as given. Empty output counts as 0 of everything.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from typing import Any

from .base import Arg, MetricSpec, Score, within_bounds
from .patterns import pattern_problem, run_pattern

STRUCTURAL = "Structural"
# CJK full stops end a sentence even without a following space, as those scripts use none.
SENTENCE_BREAK = re.compile(r"(?<=[.!?\u2026])\s+|(?<=[\u3002\uff01\uff1f])\s*|\n[ \t\r\f\v]*\n\s*")
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
ASCII_PUNCTUATION = frozenset(string.punctuation)


def is_punctuation(char: str) -> bool:
    # Unicode punctuation plus the ASCII symbols people call punctuation ($, +, <, =, >, ^, `, |, ~).
    return char in ASCII_PUNCTUATION or unicodedata.category(char).startswith("P")


def _strip_punctuation(token: str) -> str:
    start, end = 0, len(token)
    while start < end and is_punctuation(token[start]):
        start += 1
    while end > start and is_punctuation(token[end - 1]):
        end -= 1
    return token[start:end]


def split_words(text: str, exclude_punctuation: bool = True, delimiters: str | None = None) -> list[str]:
    if delimiters:
        tokens = [token.strip() for token in run_pattern("custom_delimiters", "split", delimiters, text)]
    else:
        tokens = text.split()
    if exclude_punctuation:
        tokens = [_strip_punctuation(token) for token in tokens]
    else:
        # Even when punctuation is kept inside words, a token of punctuation alone (such as "-") is not a word.
        tokens = [token for token in tokens if not all(is_punctuation(char) for char in token)]
    return [token for token in tokens if token]


def split_sentences(text: str) -> list[str]:
    return [part for part in SENTENCE_BREAK.split(text) if part.strip()]


def split_paragraphs(text: str) -> list[str]:
    return [part for part in PARAGRAPH_BREAK.split(text) if part.strip()]


def score_char_ct_match(record: Mapping[str, str | None], args: Mapping[str, Any]) -> Score:
    text = record["output"]
    pattern = args.get("custom_exclude_pattern")
    if pattern:
        text = run_pattern("custom_exclude_pattern", "sub", pattern, "", text)
    keep_whitespace = args.get("include_whitespace", True)
    keep_punctuation = args.get("include_punctuation", True)
    keep_digits = args.get("include_digits", True)
    only_uppercase = args.get("only_uppercase", False)
    count = 0
    for char in text:
        if only_uppercase and not char.isupper():
            continue
        if not keep_whitespace and char.isspace():
            continue
        if not keep_punctuation and is_punctuation(char):
            continue
        if not keep_digits and char.isdigit():
            continue
        count += 1
    return within_bounds(count, args, "characters")


def score_word_ct_match(record: Mapping[str, str | None], args: Mapping[str, Any]) -> Score:
    words = split_words(record["output"], args.get("exclude_punctuation", True), args.get("custom_delimiters"))
    min_length = args.get("min_word_length", 1)
    count = sum(1 for word in words if len(word) >= min_length)
    return within_bounds(count, args, "words")


def score_sent_ct_match(record: Mapping[str, str | None], args: Mapping[str, Any]) -> Score:
    min_words = args.get("min_words_in_sentence", 1)
    count = sum(1 for sentence in split_sentences(record["output"]) if len(split_words(sentence)) >= min_words)
    return within_bounds(count, args, "sentences")


def score_par_ct_match(record: Mapping[str, str | None], args: Mapping[str, Any]) -> Score:
    min_sentences = args.get("min_sentences_in_paragraph", 1)
    min_words = args.get("min_words_in_paragraph", 1)
    count = 0
    for paragraph in split_paragraphs(record["output"]):
        sentences = [sentence for sentence in split_sentences(paragraph) if split_words(sentence)]
        if len(sentences) >= min_sentences and len(split_words(paragraph)) >= min_words:
            count += 1
    return within_bounds(count, args, "paragraphs")


def _bounds(unit: str) -> tuple[Arg, Arg]:
    return (
        Arg("min_count", "number", minimum=0, description=f"Fewest {unit} allowed."),
        Arg("max_count", "number", minimum=0, description=f"Most {unit} allowed."),
    )


SPECS = [
    MetricSpec(
        id=6,
        shortname="char_ct_match",
        name="Character count match",
        category=STRUCTURAL,
        description=(
            "Passes when the number of counted characters of the output lies within [min_count, max_count] "
            "(100 when no bound is set). custom_exclude_pattern matches are removed first, then the include_* "
            "filters apply; only_uppercase counts uppercase letters only."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(
            *_bounds("characters"),
            Arg("include_whitespace", "boolean", default=True, description="Count whitespace characters."),
            Arg("include_punctuation", "boolean", default=True, description="Count punctuation characters."),
            Arg("include_digits", "boolean", default=True, description="Count digits."),
            Arg(
                "custom_exclude_pattern",
                "string",
                description="Regular expression; matching text is removed before counting.",
                check=pattern_problem,
            ),
            Arg("only_uppercase", "boolean", default=False, description="Count only uppercase letters."),
        ),
        is_active=True,
        scorer=score_char_ct_match,
    ),
    MetricSpec(
        id=17,
        shortname="par_ct_match",
        name="Paragraph count match",
        category=STRUCTURAL,
        description=(
            "Passes when the number of qualifying paragraphs (blocks separated by blank lines, with at least "
            "min_sentences_in_paragraph sentences and min_words_in_paragraph words) lies within the bounds; "
            "100 when no bound is set."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(
            *_bounds("paragraphs"),
            Arg("min_sentences_in_paragraph", "number", default=1, minimum=0, description="Sentences needed."),
            Arg("min_words_in_paragraph", "number", default=1, minimum=0, description="Words needed."),
        ),
        is_active=True,
        scorer=score_par_ct_match,
    ),
    MetricSpec(
        id=19,
        shortname="sent_ct_match",
        name="Sentence count match",
        category=STRUCTURAL,
        description=(
            "Passes when the number of sentences with at least min_words_in_sentence words lies within the "
            "bounds; 100 when no bound is set. Sentences are split by rule (abbreviations such as 'e.g.' may "
            "end one)."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(
            *_bounds("sentences"),
            Arg("min_words_in_sentence", "number", default=1, minimum=0, description="Words needed."),
        ),
        is_active=True,
        scorer=score_sent_ct_match,
    ),
    MetricSpec(
        id=21,
        shortname="word_ct_match",
        name="Word count match",
        category=STRUCTURAL,
        description=(
            "Passes when the number of words of at least min_word_length characters lies within the bounds; 100 "
            "when no bound is set. custom_delimiters (a regular expression) replaces whitespace as the separator. "
            "case_sensitive is accepted for compatibility and does not change a count."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(
            *_bounds("words"),
            Arg(
                "exclude_punctuation",
                "boolean",
                default=True,
                description="Strip punctuation from the ends of words.",
            ),
            Arg("min_word_length", "number", default=1, minimum=0, description="Shortest word that counts."),
            Arg("case_sensitive", "boolean", default=False, description="Has no effect on counting."),
            Arg(
                "custom_delimiters",
                "string",
                description="Regular expression that separates words (instead of whitespace).",
                check=pattern_problem,
            ),
        ),
        is_active=True,
        scorer=score_word_ct_match,
    ),
]
