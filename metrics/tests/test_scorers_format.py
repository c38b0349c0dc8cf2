"""Scoring of the metrics that check a format (booleans, dates, numbers, JSON, Python, SQL, XML, schemas)."""

from metrics.tests.scoring import BILLION_LAUGHS, ERROR, FAIL, PASS, cases, check


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
