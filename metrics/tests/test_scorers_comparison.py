"""Scoring of the metrics that compare the output with golden_answer (exact, JSON, XML, numeric, BLEU, ROUGE)."""

import json

from metrics.tests.scoring import BILLION_LAUGHS, ERROR, FAIL, PASS, cases, check


@cases(
    ("4", "4", {}, PASS),
    ("4 ", "4", {}, FAIL),
    ("", "", {}, PASS),
    ("", "x", {}, FAIL),
    ("Paris", "paris", {}, FAIL),
    ("Paris", "paris", {"case_sensitive": False}, PASS),
    ("STRASSE", "straße", {"case_sensitive": False}, PASS),
    ("  yes\n", "yes", {"strip_whitespace": True}, PASS),
    ("  Yes\n", "yes", {"strip_whitespace": True, "case_sensitive": False}, PASS),
    ("é", "e\u0301", {}, FAIL),
    ("日本", "日本", {}, PASS),
)
def test_exact_match(output, golden, args, expected):
    check("exact_match", output, golden, args, expected)


NESTED = json.dumps({"a": {"b": [1, {"c": True}]}})


@cases(
    ('{"a": 1, "b": 2}', '{"b":2,"a":1}', {}, PASS),
    ("[1, 2]", "[2, 1]", {}, FAIL),
    ("[1, 2]", "[2, 1]", {"ignore_order": True}, PASS),
    ("[1, 1, 2]", "[1, 2, 2]", {"ignore_order": True}, FAIL),
    ('{"a": [[1, 2], [3]]}', '{"a": [[3], [2, 1]]}', {"ignore_order": True}, PASS),
    ('{"a": 1, "extra": 2}', '{"a": 1}', {}, FAIL),
    ('{"a": 1, "extra": 2}', '{"a": 1}', {"ignore_extra_keys": True}, PASS),
    ('{"a": 1}', '{"a": 1, "missing": 2}', {"ignore_extra_keys": True}, FAIL),
    ('{"a": {"b": 1, "x": 0}}', '{"a": {"b": 1}}', {"ignore_extra_keys": True}, PASS),
    (
        '[{"x": 1, "y": 2}, {"x": 1}]',
        '[{"x": 1}, {"x": 1, "y": 2}]',
        {"ignore_order": True, "ignore_extra_keys": True},
        PASS,
    ),
    ('[{"x": 1, "y": 2}, {"x": 3}]', '[{"x": 1}, {"x": 1}]', {"ignore_order": True, "ignore_extra_keys": True}, FAIL),
    (NESTED, NESTED, {}, PASS),
    ("1", "1.0", {}, PASS),
    ("true", "1", {}, FAIL),
    ("[true]", "[1]", {"ignore_order": True}, FAIL),
    ('"é"', '"\\u00e9"', {}, PASS),
    ("", "{}", {}, FAIL),
    ("{bad json", "{}", {}, FAIL),
    ("NaN", "NaN", {}, FAIL),
    ("null", "null", {}, PASS),
    ("[" * 100_000 + "]" * 100_000, "[]", {}, ERROR),
)
def test_json_equal(output, golden, args, expected):
    check("json_equal", output, golden, args, expected)


SENTENCE = "The quick brown fox jumps over the lazy dog"


@cases(
    (SENTENCE, SENTENCE, {}, PASS),
    ("hello world", "hello world", {}, PASS),
    ("alpha beta gamma", "delta epsilon zeta", {}, FAIL),
    ("", SENTENCE, {}, 0.0),
    (SENTENCE, "", {}, 0.0),  # an empty string is scored, as by every structural metric
    (SENTENCE.upper(), SENTENCE, {}, PASS),
    (SENTENCE.upper(), SENTENCE, {"case_sensitive": True}, (0.0, 10.0)),
    ("The quick brown fox jumps over the dog", SENTENCE, {}, (40.0, 90.0)),
    ("The quick brown fox", SENTENCE, {"smoothing": False}, (0.0, 40.0)),
    ("quick fox", SENTENCE, {"smoothing": False}, 0.0),
    ("quick fox", SENTENCE, {"smoothing": True}, (0.01, 30.0)),
    ("日本 語", "日本 語", {}, PASS),
)
def test_bleu(output, golden, args, expected):
    check("bleu", output, golden, args, expected)


@cases(
    (SENTENCE, SENTENCE, {}, PASS),
    ("alpha beta", "gamma delta", {}, FAIL),
    ("the cat is running", "the cat is running", {"rouge_type": "L"}, PASS),
    ("the cats are running", "the cat is running", {"rouge_type": 1}, 50.0),
    ("the cats are running", "the cat is running", {"rouge_type": "L"}, 50.0),
    ("the cats are running", "the cat is running", {"rouge_type": 1, "use_stemmer": True}, 75.0),
    ("the cats are running", "the cat is running", {"rouge_type": 2}, 0.0),
    ("a b c d", "a b c x", {"rouge_type": 2}, 200 / 3),
    ("a b c d", "a b c x", {"rouge_type": 3}, 50.0),
    ("Café Noir", "café noir", {"rouge_type": 1}, 100.0),
    ("Café Noir", "café noir", {"rouge_type": 1, "case_sensitive": True}, 0.0),
    ("b a", "a b", {"rouge_type": "L"}, 50.0),
    ("", "a b", {"rouge_type": 1}, 0.0),
    ("a b", "", {}, 0.0),  # an empty string is scored, as by every structural metric
    ("", "", {}, 0.0),
    ("user id", "user_id", {"rouge_type": 1}, PASS),
    # As rouge-score: "fly" is too short to stem, and "flies" stems to "fli".
    ("the fly", "the flies", {"rouge_type": 1, "use_stemmer": True}, 50.0),
    ("connected", "connecting", {"rouge_type": 1, "use_stemmer": True}, PASS),
    ("a b c d e f g h i j k", "a b c d e f g h i j x", {"rouge_type": 10}, 50.0),
)
def test_rouge(output, golden, args, expected):
    check("rouge", output, golden, args, expected)


@cases(
    ("3.14", "3.14", {}, PASS),
    ("3.140", "3.14", {}, PASS),
    ("1e2", "100", {}, PASS),
    ("3.15", "3.14", {}, FAIL),
    ("3.15", "3.14", {"tolerance": 0.01}, PASS),
    ("3.16", "3.14", {"tolerance": 0.01}, FAIL),
    ("105", "100", {"relative_tolerance": 0.05}, PASS),
    ("106", "100", {"relative_tolerance": 0.05}, FAIL),
    ("106", "100", {"relative_tolerance": 0.05, "tolerance": 6}, PASS),
    ("-0", "0", {}, PASS),
    ("abc", "1", {}, FAIL),
    ("1", "abc", {}, FAIL),
    ("", "1", {}, FAIL),
    ("1e999999999", "1", {}, FAIL),
    ("1" * 2000, "1", {}, FAIL),
)
def test_numeric_match(output, golden, args, expected):
    check("numeric_match", output, golden, args, expected)


@cases(
    ('<a x="1" y="2"><b>t</b></a>', '<a y="2" x="1"><b>t</b></a>', {}, PASS),
    ("<a><b/><c/></a>", "<a><c/><b/></a>", {}, FAIL),
    ("<a><b/><c/></a>", "<a><c/><b/></a>", {"ignore_order": True}, PASS),
    ("<a><b>1</b><b>2</b></a>", "<a><b>2</b><b>1</b></a>", {"ignore_order": True}, PASS),
    ("<a><b>1</b><b>1</b></a>", "<a><b>2</b><b>1</b></a>", {"ignore_order": True}, FAIL),
    ('<a x="1" extra="2"/>', '<a x="1"/>', {}, FAIL),
    ('<a x="1" extra="2"/>', '<a x="1"/>', {"ignore_extra_attributes": True}, PASS),
    ('<a x="1"/>', '<a x="1" needed="2"/>', {"ignore_extra_attributes": True}, FAIL),
    (
        '<a><b k="1" z="0"/><b k="2"/></a>',
        '<a><b k="2"/><b k="1"/></a>',
        {"ignore_order": True, "ignore_extra_attributes": True},
        PASS,
    ),
    ("<a>\n  <b> hi  there </b>\n</a>", "<a><b>hi there</b></a>", {}, PASS),
    ("<a>\n  <b> hi </b>\n</a>", "<a><b>hi</b></a>", {"ignore_whitespace": False}, FAIL),
    ("<a><b>hi</b></a>", "<a><b>hi</b></a>", {"ignore_whitespace": False}, PASS),
    ("<a><!-- note --><b/></a>", "<a><b/></a>", {}, PASS),
    ('<p:a xmlns:p="urn:x"/>', '<q:a xmlns:q="urn:x"/>', {}, PASS),
    ('<p:a xmlns:p="urn:x"/>', '<p:a xmlns:p="urn:y"/>', {}, FAIL),
    ("<a>text</a>", "<a>other</a>", {}, FAIL),
    ("<a><b/></a>", "<a><b/><b/></a>", {"ignore_order": True}, FAIL),
    ("<a>", "<a/>", {}, FAIL),
    ("", "<a/>", {}, FAIL),
    (BILLION_LAUGHS, BILLION_LAUGHS, {}, FAIL),
)
def test_xml_equal(output, golden, args, expected):
    check("xml_equal", output, golden, args, expected)
