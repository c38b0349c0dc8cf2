"""Count metrics: characters, words, sentences and paragraphs within optional bounds.

Shared rules: a word is a whitespace-separated token (or a token between custom delimiters), with
punctuation stripped from its ends when requested; a token made only of punctuation is not a word. A paragraph
is a block of text separated from the next by a blank line. Everything is counted in Unicode code points,
exactly as given. Empty output counts as 0 of everything.

Sentences (SENTENCE_RULE, shown in sent_ct_match's description): a sentence ends at a run of . ! ? or …,
with any closing quotes or brackets after it, followed by white space; at a CJK 。！？ (no space needed); at a
blank line; or at the end of the text. Except: a period after a title (Mr. Dr. Prof. St. ...) or a capital
initial (J.) never ends one; a period after another abbreviation (etc. e.g. a.m. ...) or a word with inner
periods (U.S.) ends one only before a capitalised word; and a terminator inside
closing quotes or brackets followed by a lowercase word ("Stop!" he said) does not end one.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable

from .base import Arg, Args, MetricSpec, Record, Score, always, field_text, within_bounds
from .patterns import pattern_problem, run_pattern

STRUCTURAL = "Structural"
SENTENCE_RULE = (
    "A sentence ends at . ! ? or … (with any closing quotes or brackets) followed by white space, at a CJK "
    "。！？, at a blank line or at the end of the text; a period after a title (Mr. Dr. Prof.) or an initial "
    "(J.) never ends one, one after another abbreviation (etc. e.g. a.m. U.S.) only before a capitalised word, "
    'and a terminator in closing quotes before a lowercase word ("Stop!" he said) does not.'
)
_CLOSERS = "\"'\u201d\u2019)\\]}\u00bb\u300d\u300f"
# Candidate sentence ends; CJK full stops end a sentence even without a following space, as those scripts use none.
_SENTENCE_END = re.compile(
    rf"(?P<stop>[.!?\u2026]+)(?P<closers>[{_CLOSERS}]*)(?=\s)|[\u3002\uff01\uff1f]+[{_CLOSERS}]*|\n[ \t\r\f\v]*\n"
)
_NEXT_WORD = re.compile(r"\s*(\S?)")
# Word lists kept in one string each, easier to read and extend than a column of literals.
_TITLE_WORDS = "mr mrs ms mx dr prof sr jr st mt messrs mme mlle gen col capt lt sgt rev hon gov sen rep pres"
_ABBREVIATION_WORDS = "etc vs cf approx ca dept est fig al eg ie am pm jan feb mar apr jun jul aug sep sept oct nov dec"
TITLES = frozenset(_TITLE_WORDS.split())
ABBREVIATION_WINDOW = 40
ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
ASCII_PUNCTUATION = frozenset(string.punctuation)


def is_punctuation(char: str) -> bool:
    # Unicode punctuation plus the ASCII symbols people call punctuation ($, +, <, =, >, ^, `, |, ~).
    return char in ASCII_PUNCTUATION or unicodedata.category(char).startswith("P")


def _without(argument: str) -> Callable[[Args], bool]:
    """Linear unless the user's regular expression `argument` is set."""

    def linear(args: Args) -> bool:
        return not args.get(argument)

    return linear


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


def _ends_sentence(text: str, end: re.Match[str]) -> bool:
    """Whether the candidate `end` closes a sentence (the exceptions of SENTENCE_RULE)."""
    if end["stop"] is None:
        return True  # a CJK full stop or a blank line
    next_word = _NEXT_WORD.match(text, end.end())
    assert next_word is not None  # the pattern matches the empty string
    following = next_word[1]
    if end["closers"]:
        return not following.islower()
    if end["stop"] != ".":
        return True
    # Only the last few characters can matter: no abbreviation is longer, and a bounded look keeps this linear.
    before = text[max(0, end.start() - ABBREVIATION_WINDOW) : end.start()]
    word = "" if not before or before[-1].isspace() else before.split()[-1]
    word = word.lstrip(_CLOSERS + "([{\u201c\u2018\u00ab")
    if word.lower() in TITLES or (len(word) == 1 and word.isupper()):
        return False
    abbreviated = word.lower().replace(".", "") in ABBREVIATIONS or "." in word
    return following.isupper() or not abbreviated


def split_sentences(text: str) -> list[str]:
    sentences, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        if _ends_sentence(text, end):
            sentences.append(text[start : end.end()])
            start = end.end()
    sentences.append(text[start:])
    return [sentence for sentence in sentences if sentence.strip()]


def split_paragraphs(text: str) -> list[str]:
    return [part for part in PARAGRAPH_BREAK.split(text) if part.strip()]


def score_char_ct_match(record: Record, args: Args) -> Score:
    text = field_text(record, "output")
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


def score_word_ct_match(record: Record, args: Args) -> Score:
    words = split_words(
        field_text(record, "output"), args.get("exclude_punctuation", True), args.get("custom_delimiters")
    )
    min_length = args.get("min_word_length", 1)
    count = sum(1 for word in words if len(word) >= min_length)
    return within_bounds(count, args, "words")


def score_sent_ct_match(record: Record, args: Args) -> Score:
    min_words = args.get("min_words_in_sentence", 1)
    count = sum(
        1 for sentence in split_sentences(field_text(record, "output")) if len(split_words(sentence)) >= min_words
    )
    return within_bounds(count, args, "sentences")


def score_par_ct_match(record: Record, args: Args) -> Score:
    min_sentences = args.get("min_sentences_in_paragraph", 1)
    min_words = args.get("min_words_in_paragraph", 1)
    count = 0
    for paragraph in split_paragraphs(field_text(record, "output")):
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
        linear_when=_without("custom_exclude_pattern"),
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
        linear_when=always,
    ),
    MetricSpec(
        id=19,
        shortname="sent_ct_match",
        name="Sentence count match",
        category=STRUCTURAL,
        description=(
            "Passes when the number of sentences with at least min_words_in_sentence words lies within the "
            "bounds; 100 when no bound is set. " + SENTENCE_RULE
        ),
        default_threshold=100,
        inputs=("output",),
        args=(
            *_bounds("sentences"),
            Arg("min_words_in_sentence", "number", default=1, minimum=0, description="Words needed."),
        ),
        is_active=True,
        scorer=score_sent_ct_match,
        linear_when=always,
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
        linear_when=_without("custom_delimiters"),
    ),
]
