"""What every scorer shares: missing inputs and library failures are input errors, scores stay in 0-100."""

import pytest

from metrics.registry import MetricInputError, by_shortname
from metrics.tests.scoring import score


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
