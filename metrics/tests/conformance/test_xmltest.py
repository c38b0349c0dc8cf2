"""James Clark's xmltest (the core of the W3C XML conformance suite) through is_valid_xml.

Every not-well-formed case must score 0. Every well-formed case (valid/ and invalid/: validity is not checked)
must score 100, except those data/xmltest/refused.json lists: their DOCTYPE names an external DTD, declares an
entity or refers to a parameter entity, which is_valid_xml refuses for safety (its description says so).
"""

import pytest

from .suites import load_json, score, xmltest_documents

DOCUMENTS = list(xmltest_documents())
REFUSED = load_json("xmltest/refused.json")
NOT_WELL_FORMED = [(name, text) for name, text in DOCUMENTS if "/not-wf/" in name and text is not None]
WELL_FORMED = [(name, text) for name, text in DOCUMENTS if "/not-wf/" not in name]
# Documented exception: an attribute named ":" is well-formed XML 1.0 but not namespace-well-formed, and the
# parser is namespace-aware (element and attribute names are compared as namespaced names), so it scores 0.
NOT_NAMESPACE_WELL_FORMED = {"xmltest/valid/sa/012.xml"}
# Not-well-formed because of byte sequences that are not UTF-8 (168-170): an output is text, so these cannot occur.
UNDECODABLE = [name for name, text in DOCUMENTS if text is None]


def _ids(cases):
    return [name.removeprefix("xmltest/") for name, _ in cases]


@pytest.mark.parametrize("name,document", NOT_WELL_FORMED, ids=_ids(NOT_WELL_FORMED))
def test_not_well_formed_case_scores_0(name, document):
    assert score("is_valid_xml", document).result == 0.0


@pytest.mark.parametrize("name,document", WELL_FORMED, ids=_ids(WELL_FORMED))
def test_well_formed_case_passes_unless_refused_by_rule(name, document):
    scored = score("is_valid_xml", document)
    if name in REFUSED:
        assert scored.result == 0.0
        assert "not accepted" in scored.explanation
    elif name in NOT_NAMESPACE_WELL_FORMED:
        assert scored.result == 0.0
        assert "QName" in scored.explanation
    else:
        assert scored.result == 100.0, scored.explanation


def test_the_suite_is_all_there():
    assert (len(NOT_WELL_FORMED), len(WELL_FORMED), len(REFUSED)) == (194, 170, 76)
    undecodable = [f"xmltest/not-wf/sa/{number}.xml" for number in (168, 169, 170)]
    assert undecodable == UNDECODABLE
