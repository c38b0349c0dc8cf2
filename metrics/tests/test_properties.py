"""Properties of the argument validator and of every structural metric, on generated input.

Whatever arrives, the validator returns plain arguments or refuses them with its own error naming the metric; a
structural scorer returns a score from 0 to 100 with an explanation or fails the evaluation with a reason
(MetricInputError). Nothing else escapes, and no example runs past the per-evaluation time limit. The scorers are
called directly, past MetricSpec.score's catch-all, so a library failing on odd input shows up here.
"""

import json
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.args import MetricArgsError, resolve_args
from metrics.registry import REGISTRY, MetricInputError, MetricSpec, Score
from metrics.registry.patterns import pattern_problem
from metrics.tests.scoring import assert_is_a_reason

STRUCTURAL = sorted(spec.shortname for spec in REGISTRY.values() if not spec.is_judged)
BY_SHORTNAME = {spec.shortname: spec for spec in REGISTRY.values()}
XSD = "http://www.w3.org/2001/XMLSchema"

bounded_examples = settings(
    max_examples=40,
    deadline=timedelta(seconds=django_settings.METRIC_TIMEOUT_S),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
regex_pieces = st.sampled_from(
    ["a", "b", ".", "\\d", "\\w", "\\s", "[a-z]", "[^,]", "(", ")", "(?:", "|", "*", "+", "?", "{2}", "{1,3}",
     "{1000}", "{1000000000}", "^", "$", ",", " ", "\\", "[", "\\p{L}", "(?i)", "{,5}", "{e<=1}"]
)  # fmt: skip
patterns = st.lists(regex_pieces, max_size=10).map("".join) | st.text(max_size=20)


def json_schemas() -> st.SearchStrategy:
    keywords = st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["string", "integer", "number", "object", "array", "boolean", "null", "nonsense"]),
            "pattern": patterns,
            "minLength": st.integers(-1, 5),
            "maximum": st.integers(-5, 5),
            "required": st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True),
            "$ref": st.sampled_from(["#", "#/definitions/x", "#/nowhere", "http://127.0.0.1:9/x.json", "x.json"]),
            "enum": st.lists(scalars, max_size=3),
        },
    )
    return st.recursive(
        keywords,
        lambda children: st.fixed_dictionaries(
            {},
            optional={
                "properties": st.dictionaries(st.sampled_from(["a", "b", "c"]), children, max_size=2),
                "patternProperties": st.dictionaries(patterns, children, max_size=2),
                "additionalProperties": st.booleans() | children,
                "unevaluatedProperties": st.booleans(),
                "items": children,
                "definitions": st.fixed_dictionaries({"x": children}),
                "anyOf": st.lists(children, min_size=1, max_size=2),
            },
        ),
        max_leaves=6,
    )


def xml_elements() -> st.SearchStrategy:
    names = st.sampled_from(["a", "b", "c", "n:a"])
    attributes = st.dictionaries(st.sampled_from(["x", "y", "z"]), st.text("ab <&\"'", max_size=3), max_size=3)

    def element(children):
        return st.builds(
            lambda name, attrs, text, kids: (
                f"<{name}{''.join(f' {key}={json.dumps(value)}' for key, value in attrs.items())}>"
                f"{text}{''.join(kids)}</{name}>"
            ),
            names,
            attributes,
            st.sampled_from(["", " ", "t", "&amp;", "<![CDATA[x]]>", "<!-- c -->", "&e;"]),
            st.lists(children, max_size=3),
        )

    leaf = st.sampled_from(["<a/>", "<b x='1'/>", "<c>t</c>", "", "<a>", "</a>", "<!DOCTYPE a><a/>"])
    return st.recursive(leaf, element, max_leaves=8).map(lambda body: body.replace("n:a", "a"))


xml_schemas = st.sampled_from(
    [
        f'<xs:schema xmlns:xs="{XSD}"><xs:element name="a"/></xs:schema>',
        f'<xs:schema xmlns:xs="{XSD}"><xs:element name="a" type="xs:integer"/></xs:schema>',
        f'<xs:schema xmlns:xs="{XSD}"><xs:include schemaLocation="http://127.0.0.1:9/x.xsd"/></xs:schema>',
        "<not-a-schema/>",
        "",
        "not xml",
    ]
)
texts = (
    st.text(max_size=200)
    | json_values.map(json.dumps)
    | xml_elements()
    | st.sampled_from(["2024-05-01", "2024-02-30", "13:45", "1e3", "-0", "SELECT 1", "def f(:", "true", ""])
    | st.lists(st.sampled_from(["The", "cat", "sat.", "Dr.", "e.g.", "\n\n", "日本", "!", "..."]), max_size=40).map(
        " ".join
    )
)


def values_for(arg) -> st.SearchStrategy:
    """Mostly well-typed values (so scorers are reached), mixed with arbitrary JSON (so the validator is tested)."""
    if arg.choices is not None:
        typed = st.sampled_from(arg.choices)
    elif arg.check is pattern_problem:
        typed = patterns
    elif arg.name == "dialect":
        typed = st.sampled_from(["tsql", "postgres", "mysql", "sqlite", "cobol"])
    elif arg.name == "rouge_type":
        typed = st.sampled_from([1, 2, 3, 9, "L", 0, 10, "l"])
    elif arg.name == "schema" and arg.type == "object|boolean":
        typed = json_schemas()
    elif arg.name == "schema":
        typed = xml_schemas
    elif arg.type == "boolean":
        typed = st.booleans()
    elif arg.type in ("number", "integer"):
        typed = st.integers(0, 30) | st.floats(0, 30)
    elif arg.type == "array":
        typed = st.lists(st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%H:%M", "%", "%Q", ""]), max_size=3)
    else:
        typed = st.text(max_size=20)
    return st.one_of(typed, typed, typed, json_values)


def arguments_for(spec: MetricSpec) -> st.SearchStrategy:
    known = st.fixed_dictionaries({}, optional={arg.name: values_for(arg) for arg in spec.args})
    return st.one_of(known, known, known, st.dictionaries(st.text(max_size=8), json_values, max_size=3), json_values)


def records(spec: MetricSpec) -> st.SearchStrategy:
    optional = st.none() | texts
    return st.fixed_dictionaries(
        {
            name: texts if name in spec.inputs else optional
            for name in ("prompt", "input", "context", "output", "golden_answer")
        }
    )


def validated(spec: MetricSpec, *layers) -> dict | None:
    """The effective arguments, or None when the validator refused them with its own, well-formed error."""
    try:
        args = resolve_args(spec, *layers)
    except MetricArgsError as exc:
        assert exc.messages
        assert all(message.startswith(f"metric {spec.id} ({spec.shortname}): ") for message in exc.messages)
        return None
    assert isinstance(args, dict)
    json.dumps(args, allow_nan=False)  # what is stored with each evaluation
    return args


@pytest.mark.parametrize("shortname", sorted(BY_SHORTNAME))
@bounded_examples
@given(data=st.data())
def test_the_validator_returns_arguments_or_refuses_them_with_its_own_error(shortname, data):
    spec = BY_SHORTNAME[shortname]
    validated(spec, *data.draw(st.lists(arguments_for(spec), max_size=3)))


@pytest.mark.parametrize("shortname", STRUCTURAL)
@bounded_examples
@given(data=st.data())
def test_any_input_scores_from_0_to_100_or_fails_with_a_reason(shortname, data):
    spec = BY_SHORTNAME[shortname]
    args = validated(spec, data.draw(arguments_for(spec)))
    if args is None:
        return
    record = data.draw(records(spec))
    try:
        raw = spec.scorer(record, args)
    except MetricInputError as exc:
        assert_is_a_reason(exc)
        return
    assert isinstance(raw, Score) and isinstance(raw.explanation, str) and raw.explanation
    # What is recorded: MetricSpec.score clamps rounding noise such as 100.00000000000004 into range.
    assert 0.0 <= spec.score(record, args).result <= 100.0
