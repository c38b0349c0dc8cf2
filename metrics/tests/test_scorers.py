"""Scoring behaviour of the 23 structural metrics, case by case."""

import json

import pytest

from metrics.args import resolve_args
from metrics.registry import MetricInputError, by_shortname

PASS, FAIL = 100.0, 0.0
ERROR = MetricInputError


def score(shortname, output, golden=None, **args):
    spec = by_shortname(shortname)
    record = {"prompt": None, "input": None, "context": None, "output": output, "golden_answer": golden}
    return spec.score(record, resolve_args(spec, args))


def check(shortname, output, golden, args, expected):
    """expected: an exact score, a (low, high) range, or MetricInputError."""
    if expected is ERROR:
        with pytest.raises(MetricInputError) as raised:
            score(shortname, output, golden, **args)
        assert "Traceback" not in str(raised.value)
        return
    result = score(shortname, output, golden, **args)
    assert result.explanation
    if isinstance(expected, tuple):
        low, high = expected
        assert low <= result.result <= high, result
    else:
        assert result.result == pytest.approx(expected), result


def cases(*rows):
    """rows of (output, golden, args, expected); ids show the output for readable failures."""
    return pytest.mark.parametrize(
        "output,golden,args,expected", rows, ids=[f"{i}-{str(row[0])[:30]!r}" for i, row in enumerate(rows)]
    )


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


@cases(
    ("true", None, {}, PASS),
    ("False", None, {}, PASS),
    ("TRUE", None, {}, PASS),
    (" true", None, {}, FAIL),
    ("yes", None, {}, FAIL),
    ("1", None, {}, FAIL),
    ("", None, {}, FAIL),
)
def test_is_boolean(output, golden, args, expected):
    check("is_boolean", output, golden, args, expected)


@cases(
    ("2024-05-01", None, {}, PASS),
    ("2024-02-30", None, {}, FAIL),
    ("2024-05-01T13:45:00", None, {}, PASS),
    ("2024-05-01 13:45", None, {}, PASS),
    ("2024-05-01T13:45:00.123456+02:00", None, {}, PASS),
    ("2024-05-01T13:45:00Z", None, {"require_timezone": True}, PASS),
    ("2024-05-01T13:45:00", None, {"require_timezone": True}, FAIL),
    ("2024-05-01", None, {"require_timezone": True}, FAIL),
    ("2024-05-01", None, {"require_datetime": True}, FAIL),
    ("2024-05-01T00:00:00", None, {"require_datetime": True}, PASS),
    ("May 5, 2024", None, {}, FAIL),
    ("May 5, 2024", None, {"strict_type": False}, PASS),
    ("May 5, 2024 10:30 PM", None, {"strict_type": False, "require_datetime": True}, PASS),
    ("May 5, 2024", None, {"strict_type": False, "require_datetime": True}, FAIL),
    ("2024-05-05 10:30 +05:00", None, {"strict_type": False, "require_timezone": True}, PASS),
    ("01/02/2024", None, {"strict_type": False, "allowed_formats": ["%d/%m/%Y"]}, PASS),
    ("May 5, 2024", None, {"strict_type": False, "allowed_formats": ["%d/%m/%Y"]}, FAIL),
    ("2024-05-01", None, {"strict_type": False, "allowed_formats": ["%d/%m/%Y"]}, PASS),
    (
        "01/02/2024 10:00",
        None,
        {"strict_type": False, "allowed_formats": ["%d/%m/%Y %H:%M"], "require_datetime": True},
        PASS,
    ),
    (
        "01/02/2024 +0100",
        None,
        {"strict_type": False, "allowed_formats": ["%d/%m/%Y %z"], "require_timezone": True},
        PASS,
    ),
    ("01/02/2024", None, {"allowed_formats": ["%d/%m/%Y"]}, FAIL),
    ("2024", None, {"strict_type": False}, FAIL),
    ("not a date", None, {"strict_type": False}, FAIL),
    (" 2024-05-01", None, {}, FAIL),
    ("", None, {}, FAIL),
    ("9" * 500, None, {"strict_type": False}, FAIL),
    ("99999999999999999999", None, {"strict_type": False}, FAIL),
)
def test_is_date(output, golden, args, expected):
    check("is_date", output, golden, args, expected)


@cases(
    ("42", None, {}, PASS),
    ("-3.5", None, {}, PASS),
    ("+.5", None, {}, PASS),
    ("1e-3", None, {}, PASS),
    ("1.", None, {}, PASS),
    ("1,000", None, {}, FAIL),
    (" 42", None, {}, FAIL),
    ("NaN", None, {}, FAIL),
    ("inf", None, {}, FAIL),
    ("0x10", None, {}, FAIL),
    ("٣", None, {}, FAIL),
    ("", None, {}, FAIL),
)
def test_is_numeric(output, golden, args, expected):
    check("is_numeric", output, golden, args, expected)


@cases(
    ("hello", None, {}, PASS),
    ("", None, {}, FAIL),
    ("", None, {"allow_empty": True}, PASS),
    ("  \n", None, {}, FAIL),
    ("  \n", None, {"allow_whitespace_only": True}, PASS),
    ("", None, {"allow_whitespace_only": True}, FAIL),
    ("  ", None, {"allow_empty": True}, FAIL),
    ("123", None, {}, PASS),
)
def test_is_string(output, golden, args, expected):
    check("is_string", output, golden, args, expected)


@cases(
    ('{"a": [1, {"b": null}]}', None, {}, PASS),
    ('  "text"  ', None, {}, PASS),
    ("42", None, {}, PASS),
    ("{'a': 1}", None, {}, FAIL),
    ('{"a": 1,}', None, {}, FAIL),
    ("Infinity", None, {}, FAIL),
    ("", None, {}, FAIL),
    ("[" * 100_000 + "]" * 100_000, None, {}, ERROR),
    ("[" * 5_000_000, None, {}, ERROR),
)
def test_is_valid_json(output, golden, args, expected):
    check("is_valid_json", output, golden, args, expected)


@cases(
    ("def f(x):\n    return x * 2\n", None, {}, PASS),
    ("print('héllo')", None, {}, PASS),
    ("x = '\\d'", None, {}, PASS),
    ("def f(:\n  pass", None, {}, FAIL),
    ("return 1", None, {}, FAIL),
    ("x = 1\n  y = 2", None, {}, FAIL),
    ("", None, {}, FAIL),
    ("   \n", None, {}, FAIL),
    ("a\x00b", None, {}, FAIL),
    ("(" * 5000 + ")" * 5000, None, {}, FAIL),
    ("x = " + "-" * 100_000 + "1", None, {}, FAIL),
    ("import os; os.system('exit 1')", None, {}, PASS),
)
def test_is_valid_python(output, golden, args, expected):
    check("is_valid_python", output, golden, args, expected)


@cases(
    ("SELECT TOP 5 name FROM users WHERE id = 1", None, {}, PASS),
    ("SELECT 1; SELECT 2", None, {}, PASS),
    ("INSERT INTO t (a) VALUES (1)", None, {}, PASS),
    ("SELEC name FROM users", None, {}, FAIL),
    ("SELECT * FROM", None, {}, FAIL),
    ("hello world", None, {}, FAIL),
    ("1 + 1", None, {}, FAIL),
    ("", None, {}, FAIL),
    (";", None, {}, FAIL),
    ("SELECT a::int FROM t", None, {"dialect": "postgres"}, PASS),
    ("SELECT `a` FROM t", None, {"dialect": "mysql"}, PASS),
    ("SELECT * FROM t LIMIT 5", None, {"dialect": "sqlite"}, PASS),
    ("this is not sql at all", None, {"dialect": "bigquery"}, FAIL),
    ("SELECT " + "(" * 5000 + "1" + ")" * 5000, None, {}, ERROR),
)
def test_is_valid_sql(output, golden, args, expected):
    check("is_valid_sql", output, golden, args, expected)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>"""
EXTERNAL_ENTITY = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'


@cases(
    ("<a><b>text</b></a>", None, {}, PASS),
    ('<?xml version="1.0" encoding="UTF-8"?><a>é</a>', None, {}, PASS),
    ('<n:a xmlns:n="urn:x"/>', None, {}, PASS),
    ("<a><b></a>", None, {}, FAIL),
    ("<a/><b/>", None, {}, FAIL),
    ("plain text", None, {}, FAIL),
    ("", None, {}, FAIL),
    (BILLION_LAUGHS, None, {}, FAIL),
    (EXTERNAL_ENTITY, None, {}, FAIL),
    ("<a>" * 10_000 + "</a>" * 10_000, None, {}, FAIL),
    # A DOCTYPE that declares nothing dangerous is fine, and the characters "<!DOCTYPE" elsewhere are only text.
    ("<!DOCTYPE a><a/>", None, {}, PASS),
    ('<!DOCTYPE a [<!ELEMENT a ANY><!ATTLIST a x CDATA "]>">]><a x="1"/>', None, {}, PASS),
    ("<a><![CDATA[<!DOCTYPE html>]]></a>", None, {}, PASS),
    ("<a><!-- <!ENTITY x 'y'> --></a>", None, {}, PASS),
    ('<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>', None, {}, PASS),
    ('<!DOCTYPE a [<!ENTITY e "x">]><a/>', None, {}, FAIL),
    ('<!DOCTYPE a [<!-- c --><!ENTITY e "x">]><a>&e;</a>', None, {}, FAIL),
    ('<!DOCTYPE a SYSTEM "a.dtd"><a/>', None, {}, FAIL),
    ('<!DOCTYPE a PUBLIC "-//x//y" "a.dtd"><a/>', None, {}, FAIL),
    ("<!DOCTYPE a [ %p; ]><a/>", None, {}, FAIL),
    ('<!DOCTYPE a><!DOCTYPE b [<!ENTITY e "x">]><a/>', None, {}, FAIL),
)
def test_is_valid_xml(output, golden, args, expected):
    check("is_valid_xml", output, golden, args, expected)


PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name"],
}
TUPLE_SCHEMA = {"type": "array", "prefixItems": [{"type": "string"}], "items": False}


@cases(
    ('{"name": "Ada", "age": 36}', None, {"schema": PERSON_SCHEMA}, PASS),
    ('{"name": "Ada", "extra": 1}', None, {"schema": PERSON_SCHEMA}, PASS),
    ('{"age": 36}', None, {"schema": PERSON_SCHEMA}, FAIL),
    ('{"name": "Ada", "age": -1}', None, {"schema": PERSON_SCHEMA}, FAIL),
    ('{"name": "Ada", "age": true}', None, {"schema": PERSON_SCHEMA}, FAIL),
    ("not json", None, {"schema": PERSON_SCHEMA}, FAIL),
    ("", None, {"schema": PERSON_SCHEMA}, FAIL),
    ('{"name": "Ada"}', None, {}, FAIL),
    ('["a"]', None, {"schema": TUPLE_SCHEMA, "validator": "Draft202012Validator"}, PASS),
    ('["a", "b"]', None, {"schema": TUPLE_SCHEMA, "validator": "Draft202012Validator"}, FAIL),
    ('["a"]', None, {"schema": TUPLE_SCHEMA}, FAIL),  # Draft 7 ignores prefixItems, so items: false rejects "a"
    ('{"a": 1}', None, {"schema": {"$ref": "https://example.invalid/schema.json"}}, ERROR),  # never fetched
    ("[" * 100_000 + "]" * 100_000, None, {"schema": PERSON_SCHEMA}, ERROR),
)
def test_json_schema_match(output, golden, args, expected):
    check("json_schema_match", output, golden, args, expected)


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


XSD = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="person">
    <xs:complexType>
      <xs:sequence><xs:element name="age" type="xs:integer"/></xs:sequence>
      <xs:attribute name="id" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
</xs:schema>"""
XSD_WITH_INCLUDE = (
    '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="/etc/passwd"/></xs:schema>'
)


@cases(
    ('<person id="p1"><age>36</age></person>', None, {"schema": XSD}, PASS),
    ('<person id="p1"><age>old</age></person>', None, {"schema": XSD}, FAIL),
    ("<person><age>36</age></person>", None, {"schema": XSD}, FAIL),
    ('<person id="p1"><age>36</age>', None, {"schema": XSD}, FAIL),
    ("", None, {"schema": XSD}, FAIL),
    (BILLION_LAUGHS, None, {"schema": XSD}, FAIL),
    ("<person/>", None, {}, ERROR),
    ("<person/>", None, {"schema": ""}, ERROR),
    ("<person/>", None, {"schema": "   "}, ERROR),
    ("<person/>", None, {"schema": "<not-a-schema/>"}, ERROR),
    ("<person/>", None, {"schema": "not xml"}, ERROR),
    ("<person/>", None, {"schema": XSD_WITH_INCLUDE}, ERROR),
)
def test_xml_schema_match(output, golden, args, expected):
    check("xml_schema_match", output, golden, args, expected)


@pytest.mark.parametrize("shortname", ["exact_match", "bleu", "rouge", "json_equal", "numeric_match", "xml_equal"])
def test_missing_golden_answer_is_an_input_error(shortname):
    with pytest.raises(MetricInputError, match="golden_answer"):
        score(shortname, "x", None)


@pytest.mark.parametrize("shortname", ["alpha_perc", "is_string", "word_ct_match", "is_valid_python"])
def test_missing_output_is_an_input_error(shortname):
    with pytest.raises(MetricInputError, match="output"):
        score(shortname, None, "x")


def test_library_failure_becomes_a_short_input_error():
    spec = by_shortname("exact_match")

    def broken(record, args):
        raise KeyError("boom")

    from dataclasses import replace

    with pytest.raises(MetricInputError, match=r"exact_match could not score this row \(KeyError\)"):
        replace(spec, scorer=broken).score({"output": "a", "golden_answer": "a"}, {})


def test_scores_are_clamped_to_0_100():
    from dataclasses import replace

    from metrics.registry import Score

    spec = replace(by_shortname("bleu"), scorer=lambda record, args: Score(100.00000000000004, "rounding"))
    assert spec.score({"output": "a", "golden_answer": "a"}, {}).result == 100.0
