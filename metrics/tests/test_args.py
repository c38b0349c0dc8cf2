"""The metric argument validator: strict JSON-level typing, layering and error messages."""

import math

import pytest

from metrics.args import MetricArgsError, check_args, resolve_args
from metrics.registry import Arg, MetricSpec, by_shortname


def spec(shortname):
    return by_shortname(shortname)


def problems(shortname, args):
    with pytest.raises(MetricArgsError) as raised:
        check_args(spec(shortname), args)
    return raised.value.messages


@pytest.mark.parametrize(
    "shortname,args",
    [
        ("exact_match", {"case_sensitive": False}),
        ("exact_match", {}),
        ("exact_match", None),
        ("char_ct_match", {"min_count": 0, "max_count": 10.5}),
        ("char_ct_match", {"min_count": 3, "max_count": 3}),
        ("char_ct_match", {"custom_exclude_pattern": r"[\d\s]+"}),
        ("word_ct_match", {"custom_delimiters": "[,;]"}),
        ("numeric_match", {"tolerance": 1, "relative_tolerance": 0.5}),
        ("rouge", {"rouge_type": "L"}),
        ("rouge", {"rouge_type": 1}),
        ("rouge", {"rouge_type": 9}),
        ("rouge", {"rouge_type": 10}),
        ("json_schema_match", {"schema": True}),
        ("json_schema_match", {"schema": False, "validator": "Draft202012Validator"}),
        ("is_date", {"allowed_formats": ["%d/%m/%Y", "%Y"]}),
        ("is_date", {"allowed_formats": []}),
        ("is_valid_sql", {"dialect": "postgres"}),
        ("json_schema_match", {"schema": {"type": "object"}, "validator": "Draft202012Validator"}),
        ("xml_schema_match", {"schema": ""}),
        ("ev_obf", {"field_to_evaluate": "context"}),
        ("factfulness", {"n_runs": 5, "idk_penalty_weight": 1}),
        ("ctx_rank_prec", {"ranks": [1, 2.5, 3]}),
    ],
)
def test_valid_arguments_are_returned_as_a_plain_copy(shortname, args):
    result = check_args(spec(shortname), args)
    assert result == (args or {})
    assert type(result) is dict
    assert result is not args


@pytest.mark.parametrize(
    "shortname,args,fragment",
    [
        ("char_ct_match", {"foo": 1}, "metric 6 (char_ct_match): unknown argument 'foo'"),
        ("exact_match", {"case_sensitive": "true"}, "argument 'case_sensitive' must be a boolean, got string"),
        ("exact_match", {"case_sensitive": 1}, "argument 'case_sensitive' must be a boolean, got integer"),
        ("exact_match", {"case_sensitive": None}, "must be a boolean, got null"),
        ("factfulness", {"n_runs": True}, "argument 'n_runs' must be an integer, got boolean"),
        ("factfulness", {"n_runs": 1.5}, "argument 'n_runs' must be an integer, got number"),
        ("factfulness", {"n_runs": 2.0}, "argument 'n_runs' must be an integer, got number"),
        ("factfulness", {"n_runs": "3"}, "argument 'n_runs' must be an integer, got string"),
        ("factfulness", {"n_runs": 0}, "argument 'n_runs' must be at least 1"),
        ("factfulness", {"idk_penalty_weight": 1.5}, "argument 'idk_penalty_weight' must be between 0 and 1"),
        ("factfulness", {"idk_penalty_weight": -0.1}, "argument 'idk_penalty_weight' must be at least 0"),
        ("numeric_match", {"tolerance": math.nan}, "argument 'tolerance' must be a number"),
        ("numeric_match", {"tolerance": math.inf}, "not a finite number"),
        (
            "json_schema_match",
            {"schema": {"type": "string", "enum": [math.inf]}},
            "argument 'schema' must hold only finite numbers, not inf or NaN (at ['enum'][0])",
        ),
        ("json_schema_match", {"schema": {"anyOf": [{"maximum": math.nan}]}}, "(at ['anyOf'][0]['maximum'])"),
        ("numeric_match", {"tolerance": False}, "argument 'tolerance' must be a number, got boolean"),
        ("numeric_match", {"tolerance": -1}, "argument 'tolerance' must be at least 0"),
        ("char_ct_match", {"min_count": -1}, "argument 'min_count' must be at least 0"),
        ("char_ct_match", {"max_count": "5"}, "argument 'max_count' must be a number, got string"),
        ("char_ct_match", {"min_count": 5, "max_count": 3}, "argument 'min_count' (5) is greater than 'max_count' (3)"),
        ("char_ct_match", {"custom_exclude_pattern": "([a-z"}, "argument 'custom_exclude_pattern' is not a valid"),
        ("word_ct_match", {"custom_delimiters": "*"}, "argument 'custom_delimiters' is not a valid regular expression"),
        ("json_schema_match", {"validator": "Draft4Validator"}, "argument 'validator' must be one of"),
        ("json_schema_match", {"schema": "{}"}, "argument 'schema' must be an object or a boolean, got string"),
        ("json_schema_match", {"schema": {"type": "nonsense"}}, "argument 'schema' is not a valid Draft7Validator"),
        (
            "json_schema_match",
            {"schema": {"minLength": -1}, "validator": "Draft202012Validator"},
            "is not a valid Draft202012Validator schema",
        ),
        ("xml_schema_match", {"schema": {"a": 1}}, "argument 'schema' must be a string, got object"),
        ("rouge", {"rouge_type": "l"}, "argument 'rouge_type' must be a positive integer (ROUGE-N) or \"L\""),
        ("rouge", {"rouge_type": 0}, "argument 'rouge_type' must be a positive integer (ROUGE-N) or \"L\""),
        ("rouge", {"rouge_type": True}, "argument 'rouge_type' must be an integer or a string, got boolean"),
        ("rouge", {"rouge_type": 2.0}, "argument 'rouge_type' must be an integer or a string, got number"),
        ("is_date", {"allowed_formats": "%Y"}, "argument 'allowed_formats' must be an array, got string"),
        ("is_date", {"allowed_formats": ["%Y", 3]}, "argument 'allowed_formats' item 1 must be a string, got integer"),
        ("is_valid_sql", {"dialect": "cobol"}, "argument 'dialect' must be a SQL dialect known to sqlglot"),
        ("is_valid_sql", {"dialect": ""}, "argument 'dialect' must be a SQL dialect known to sqlglot"),
        ("ev_obf", {"field_to_evaluate": "golden_answer"}, "argument 'field_to_evaluate' must be one of"),
        ("entity_faith", {"match_mode": "fuzzy"}, "argument 'match_mode' must be one of"),
        ("ctx_rank_prec", {"ranks": [1, "2"]}, "argument 'ranks' item 1 must be a number, got string"),
        ("ctx_rank_prec", {"ranks": [1, True]}, "argument 'ranks' item 1 must be a number, got boolean"),
    ],
)
def test_invalid_arguments_name_the_metric_and_the_argument(shortname, args, fragment):
    messages = problems(shortname, args)
    assert len(messages) == 1
    assert fragment in messages[0]
    assert messages[0].startswith(f"metric {spec(shortname).id} ({shortname}): ")


@pytest.mark.parametrize("args,kind", [([], "array"), ("case_sensitive", "string"), (1, "integer"), (True, "boolean")])
def test_metric_args_must_be_an_object(args, kind):
    assert problems("exact_match", args) == [f"metric 1 (exact_match): metric_args must be an object, got {kind}"]


def test_all_problems_are_reported_at_once():
    messages = problems("char_ct_match", {"foo": 1, "min_count": "a", "only_uppercase": "yes"})
    assert len(messages) == 3
    assert all(message.startswith("metric 6 (char_ct_match): ") for message in messages)


def test_error_str_joins_the_messages():
    with pytest.raises(MetricArgsError) as raised:
        check_args(spec("exact_match"), {"a": 1, "b": 2})
    assert str(raised.value) == "; ".join(raised.value.messages)
    assert isinstance(raised.value, ValueError)


def test_resolve_fills_defaults_and_leaves_out_args_without_default():
    assert resolve_args(spec("char_ct_match")) == {
        "include_whitespace": True,
        "include_punctuation": True,
        "include_digits": True,
        "only_uppercase": False,
    }
    assert resolve_args(spec("rouge"), None) == {"rouge_type": 2, "use_stemmer": False, "case_sensitive": False}


def test_resolve_applies_layers_in_order_later_wins():
    effective = resolve_args(
        spec("word_ct_match"),
        {"min_count": 1, "max_count": 10, "case_sensitive": True},
        None,
        {"max_count": 20},
        {"case_sensitive": False, "exclude_punctuation": False},
    )
    assert effective == {
        "min_count": 1,
        "max_count": 20,
        "exclude_punctuation": False,
        "min_word_length": 1,
        "case_sensitive": False,
    }


def test_resolve_checks_min_against_max_across_layers():
    with pytest.raises(MetricArgsError) as raised:
        resolve_args(spec("sent_ct_match"), {"min_count": 5}, {"max_count": 3})
    assert raised.value.messages == [
        "metric 19 (sent_ct_match): argument 'min_count' (5) is greater than 'max_count' (3)"
    ]


def test_resolve_reports_problems_of_every_layer():
    with pytest.raises(MetricArgsError) as raised:
        resolve_args(spec("exact_match"), {"x": 1}, {"case_sensitive": "no"})
    assert len(raised.value.messages) == 2


def test_resolve_checks_the_schema_with_the_merged_validator():
    schema = {"type": "object"}
    effective = resolve_args(spec("json_schema_match"), {"schema": schema}, {"validator": "Draft202012Validator"})
    assert effective == {"schema": schema, "validator": "Draft202012Validator"}
    assert effective["schema"] is not schema


def test_required_argument_without_default_must_be_supplied():
    custom = MetricSpec(
        id=999,
        shortname="needs_pattern",
        name="Needs pattern",
        category="Structural",
        description="test metric",
        default_threshold=100,
        inputs=("output",),
        args=(Arg("pattern", "string", required=True), Arg("flag", "boolean", default=False)),
        is_active=True,
    )
    with pytest.raises(MetricArgsError) as raised:
        resolve_args(custom, {"flag": True})
    assert raised.value.messages == ["metric 999 (needs_pattern): argument 'pattern' is required"]
    assert check_args(custom, {"flag": True}) == {"flag": True}  # a single layer may be partial
    assert resolve_args(custom, {"pattern": "a"}) == {"pattern": "a", "flag": False}
    assert resolve_args(custom, {"pattern": "a"}, {"flag": True}) == {"pattern": "a", "flag": True}


def test_non_string_keys_are_unknown_arguments():
    assert problems("exact_match", {1: True}) == ["metric 1 (exact_match): unknown argument 1"]
