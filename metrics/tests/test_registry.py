"""The registry's contents: ids, shortnames, activity and self-consistent argument declarations."""

import json

import pytest

from metrics.args import check_args
from metrics.registry import NO_DEFAULT, RECORD_FIELDS, REGISTRY, by_shortname, get

STRUCTURAL_SHORTNAMES = [
    "exact_match",
    "json_equal",
    "alpha_perc",
    "alphanum_perc",
    "bleu",
    "char_ct_match",
    "is_boolean",
    "is_date",
    "is_numeric",
    "is_string",
    "is_valid_json",
    "is_valid_python",
    "is_valid_sql",
    "is_valid_xml",
    "json_schema_match",
    "numeric_match",
    "par_ct_match",
    "rouge",
    "sent_ct_match",
    "text_readability",
    "word_ct_match",
    "xml_equal",
    "xml_schema_match",
]
LLM_SHORTNAMES = [
    "ans_corr",
    "ans_rel",
    "faith",
    "factfulness",
    "entity_faith",
    "content_consist",
    "ctx_faith",
    "ctx_rank_prec",
    "ctx_recall",
    "ctx_rel",
    "ctx_suff",
    "ctx_waste",
    "content_gen_faith",
    "format_align",
    "format_consist",
    "toxic",
    "harmfulness",
    "bias",
    "ev_obf",
    "instr_integ_subv_att",
    "sys_data_exfil_att",
    "sys_data_leak",
    "pii_phi_exfil_att",
    "pii_phi",
]
THRESHOLDS_70 = {"bleu", "rouge", "text_readability", "ans_rel", "factfulness"}


def test_ids_are_ordered_and_contiguous():
    assert list(REGISTRY) == list(range(1, 1 + len(STRUCTURAL_SHORTNAMES) + len(LLM_SHORTNAMES)))


@pytest.mark.parametrize("metric_id,shortname", list(enumerate(STRUCTURAL_SHORTNAMES, start=1)))
def test_structural_metrics_have_their_spec_ids_and_are_active(metric_id, shortname):
    spec = get(metric_id)
    assert spec.shortname == shortname
    assert spec.category == "Structural"
    assert spec.is_active
    assert callable(spec.scorer)
    assert spec.default_threshold == (70 if shortname in THRESHOLDS_70 else 100)
    assert by_shortname(shortname) is spec


@pytest.mark.parametrize("metric_id,shortname", list(enumerate(LLM_SHORTNAMES, start=24)))
def test_llm_judged_metrics_score_through_a_judge(metric_id, shortname):
    spec = get(metric_id)
    assert spec.shortname == shortname
    assert spec.category in {"General", "RAG", "Content generation", "Safety", "Security"}
    assert spec.is_judged and spec.is_active
    assert spec.scorer is None
    assert spec.default_threshold == (70 if shortname in THRESHOLDS_70 else 80 if metric_id <= 38 else 100)
    assert not any(arg.required for arg in spec.args)


def test_shortnames_are_unique():
    shortnames = [spec.shortname for spec in REGISTRY.values()]
    assert len(shortnames) == len(set(shortnames))


def test_unknown_lookups_return_none():
    assert get(0) is None
    assert get(10_000) is None
    assert by_shortname("answer_correctness") is None


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=lambda spec: spec.shortname)
def test_declarations_are_consistent(spec):
    assert set(spec.inputs) <= set(RECORD_FIELDS)
    assert spec.name and spec.description
    names = [arg.name for arg in spec.args]
    assert len(names) == len(set(names))
    defaults = {arg.name: arg.default for arg in spec.args if arg.default is not NO_DEFAULT}
    assert check_args(spec, defaults) == defaults  # every default is valid under its own declaration


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=lambda spec: spec.shortname)
def test_catalog_json_is_serializable(spec):
    rows = [arg.as_json() for arg in spec.args]
    json.dumps(rows)
    for arg, row in zip(spec.args, rows, strict=True):
        assert {"name", "type", "default", "required", "description"} <= row.keys()
        assert row["default"] == (None if arg.default is NO_DEFAULT else arg.default)


def test_as_json_shows_optional_keys_only_when_set():
    validator = by_shortname("json_schema_match").arg("validator").as_json()
    assert validator["choices"] == ["Draft7Validator", "Draft202012Validator"]
    assert "item_type" not in validator and "minimum" not in validator
    formats = by_shortname("is_date").arg("allowed_formats").as_json()
    assert formats["item_type"] == "string" and formats["default"] is None
    assert by_shortname("char_ct_match").arg("min_count").as_json()["minimum"] == 0


def test_structural_defaults_match_the_spec_table():
    def defaults(shortname):
        return {arg.name: arg.default for arg in by_shortname(shortname).args if arg.default is not NO_DEFAULT}

    assert defaults("exact_match") == {"case_sensitive": True, "strip_whitespace": False}
    assert defaults("json_equal") == {"ignore_order": False, "ignore_extra_keys": False}
    assert defaults("bleu") == {"smoothing": True, "case_sensitive": False}
    assert defaults("is_valid_sql") == {"dialect": "tsql"}
    assert defaults("rouge") == {"rouge_type": 2, "use_stemmer": False, "case_sensitive": False}
    assert defaults("xml_equal") == {"ignore_order": False, "ignore_extra_attributes": False, "ignore_whitespace": True}
    assert defaults("is_date") == {"require_datetime": False, "require_timezone": False, "strict_type": True}
    assert defaults("json_schema_match") == {"validator": "Draft7Validator"}
    assert not any(arg.required for spec in REGISTRY.values() for arg in spec.args)


def test_inactive_metric_cannot_score():
    from metrics.registry import MetricInputError

    with pytest.raises(MetricInputError, match="not active"):
        by_shortname("ans_corr").score({"output": "a", "golden_answer": "a"}, {})


def test_registry_has_no_django_dependency():
    import subprocess
    import sys

    code = "import sys, metrics.registry, metrics.args; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
