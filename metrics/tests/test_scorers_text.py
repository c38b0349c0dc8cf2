"""Scoring of the metrics that measure the text itself (character shares, counts, readability)."""

from metrics.tests.scoring import ERROR, FAIL, PASS, cases, check, score


@cases(
    ("abcd", None, {}, 100.0),
    ("ab12", None, {}, 50.0),
    ("a b", None, {}, 200 / 3),
    ("", None, {}, 0.0),
    ("日本語!", None, {}, 75.0),
    ("éü", None, {}, 100.0),
    ("1234", None, {}, 0.0),
)
def test_alpha_perc(output, golden, args, expected):
    check("alpha_perc", output, golden, args, expected)


@cases(
    ("ab12", None, {}, 100.0),
    ("ab 12!", None, {}, 400 / 6),
    ("", None, {}, 0.0),
    ("٣a", None, {}, 100.0),
    ("  ", None, {}, 0.0),
)
def test_alphanum_perc(output, golden, args, expected):
    check("alphanum_perc", output, golden, args, expected)


@cases(
    ("Hello, World 1", None, {}, PASS),
    ("Hello, World 1", None, {"min_count": 14, "max_count": 14}, PASS),
    ("Hello, World 1", None, {"min_count": 15}, FAIL),
    ("Hello, World 1", None, {"max_count": 13}, FAIL),
    ("Hello, World 1", None, {"max_count": 12, "include_whitespace": False}, PASS),
    ("Hello, World 1", None, {"max_count": 11, "include_whitespace": False, "include_punctuation": False}, PASS),
    ("Hello, World 1", None, {"max_count": 10, "include_whitespace": False, "include_punctuation": False}, FAIL),
    ("a1b2c3", None, {"max_count": 3, "include_digits": False}, PASS),
    ("Hello World", None, {"min_count": 2, "max_count": 2, "only_uppercase": True}, PASS),
    ("aaa-bbb-ccc", None, {"max_count": 3, "custom_exclude_pattern": "[ab-]"}, PASS),
    ("", None, {"min_count": 0, "max_count": 0}, PASS),
    ("", None, {"min_count": 1}, FAIL),
    ("日本語", None, {"min_count": 3, "max_count": 3}, PASS),
    ("😀😀", None, {"max_count": 2}, PASS),
    ("a" * 40_000 + "b", None, {"custom_exclude_pattern": "(a+)+$"}, ERROR),
)
def test_char_ct_match(output, golden, args, expected):
    check("char_ct_match", output, golden, args, expected)


PARAGRAPHS = "First paragraph. It has two sentences.\n\nSecond one here.\n  \nThird!\n\n\n"


@cases(
    (PARAGRAPHS, None, {}, PASS),
    (PARAGRAPHS, None, {"min_count": 3, "max_count": 3}, PASS),
    (PARAGRAPHS, None, {"min_count": 4}, FAIL),
    (PARAGRAPHS, None, {"max_count": 2}, FAIL),
    (PARAGRAPHS, None, {"min_count": 1, "max_count": 1, "min_sentences_in_paragraph": 2}, PASS),
    (PARAGRAPHS, None, {"min_count": 2, "max_count": 2, "min_words_in_paragraph": 3}, PASS),
    ("one\ntwo\nthree", None, {"max_count": 1, "min_count": 1}, PASS),
    ("a\r\n\r\nb", None, {"min_count": 2, "max_count": 2}, PASS),
    ("", None, {"max_count": 0}, PASS),
    ("", None, {"min_count": 1}, FAIL),
)
def test_par_ct_match(output, golden, args, expected):
    check("par_ct_match", output, golden, args, expected)


@cases(
    ("One. Two! Three? Four", None, {"min_count": 4, "max_count": 4}, PASS),
    ("One. Two! Three? Four", None, {"max_count": 3}, FAIL),
    ("Short. This one is longer.", None, {"min_count": 1, "max_count": 1, "min_words_in_sentence": 3}, PASS),
    ("Wait... what?! Really.", None, {"min_count": 3, "max_count": 3}, PASS),
    ("Version 3.5 is out.", None, {"min_count": 1, "max_count": 1}, PASS),
    ("今日は晴れ。明日は雨。", None, {"min_count": 2, "max_count": 2}, PASS),
    ("", None, {}, PASS),
    ("", None, {"min_count": 1}, FAIL),
    ("...", None, {"max_count": 0}, PASS),
)
def test_sent_ct_match(output, golden, args, expected):
    check("sent_ct_match", output, golden, args, expected)


EASY = "The cat sat on the mat. The dog ran to the park. We like to play in the sun."
HARD = (
    "Notwithstanding the aforementioned considerations, the implementation of comprehensive institutional "
    "methodologies necessitates multidimensional evaluation frameworks incorporating heterogeneous "
    "epistemological perspectives."
)


@cases(
    (EASY, None, {}, (85.0, 100.0)),
    (HARD, None, {}, (0.0, 10.0)),
    ("", None, {}, 0.0),
    ("12345 !!!", None, {}, 0.0),
)
def test_text_readability(output, golden, args, expected):
    check("text_readability", output, golden, args, expected)


def test_text_readability_orders_texts_by_ease():
    assert score("text_readability", EASY).result > score("text_readability", HARD).result


@cases(
    ("one two three", None, {"min_count": 3, "max_count": 3}, PASS),
    ("Hello, world — again!", None, {"min_count": 3, "max_count": 3}, PASS),
    ("Hello , world", None, {"min_count": 2, "max_count": 2, "exclude_punctuation": False}, PASS),
    ("a bb ccc dddd", None, {"min_count": 2, "max_count": 2, "min_word_length": 3}, PASS),
    ("Wow! ok", None, {"min_count": 1, "max_count": 1, "min_word_length": 3}, PASS),
    ("Wow! ok", None, {"min_count": 2, "max_count": 2, "min_word_length": 3, "exclude_punctuation": False}, FAIL),
    ("a,b;c", None, {"min_count": 3, "max_count": 3, "custom_delimiters": "[,;]"}, PASS),
    ("a, b,,c", None, {"min_count": 3, "max_count": 3, "custom_delimiters": ","}, PASS),
    ("Same same", None, {"min_count": 2, "max_count": 2, "case_sensitive": True}, PASS),
    ("日本 語 テスト", None, {"min_count": 3, "max_count": 3}, PASS),
    ("", None, {"max_count": 0}, PASS),
    ("", None, {"min_count": 1}, FAIL),
    ("one two", None, {"min_count": 2.5}, FAIL),
    ("a" * 40_000 + "b", None, {"custom_delimiters": "(a+)+$"}, ERROR),
)
def test_word_ct_match(output, golden, args, expected):
    check("word_ct_match", output, golden, args, expected)
