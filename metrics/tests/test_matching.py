"""Order-insensitive JSON and XML comparison agree with a brute-force reference on small generated inputs.

The fast paths (identical items paired first, candidates from a feature index, greedy then augmenting paths) must
give exactly the answer of trying every pairing.
"""

from datetime import timedelta
from itertools import permutations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from metrics.registry import MetricInputError
from metrics.registry.json_metrics import JsonComparison, _same_kind
from metrics.registry.matching import Budget
from metrics.registry.patterns import PatternError, compile_pattern
from metrics.registry.xml_metrics import XmlComparison

examples = settings(max_examples=300, deadline=timedelta(seconds=5), database=None)

small_scalars = st.sampled_from([0, 1, 1.0, True, False, None, "x", "y"])
small_json = st.recursive(
    small_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from("ab"), children, max_size=2),
    max_leaves=10,
)


def json_reference(golden, output, ignore_extra_keys: bool) -> bool:
    if not _same_kind(golden, output):
        return False
    if isinstance(golden, dict):
        keys_fit = golden.keys() <= output.keys() if ignore_extra_keys else golden.keys() == output.keys()
        return keys_fit and all(json_reference(golden[key], output[key], ignore_extra_keys) for key in golden)
    if isinstance(golden, list):
        return len(golden) == len(output) and any(
            all(json_reference(g, output[j], ignore_extra_keys) for g, j in zip(golden, order, strict=True))
            for order in permutations(range(len(output)))
        )
    return golden == output


@examples
@given(golden=small_json, output=small_json, ignore_extra_keys=st.booleans())
def test_unordered_json_comparison_matches_trying_every_pairing(golden, output, ignore_extra_keys):
    fast = JsonComparison(ignore_order=True, ignore_extra_keys=ignore_extra_keys)
    assert fast.matches(golden, output) == json_reference(golden, output, ignore_extra_keys)


@examples
@given(items=st.lists(small_json, max_size=5), extras=st.lists(small_scalars, max_size=5), data=st.data())
def test_a_shuffled_copy_with_extra_keys_always_matches(items, extras, data):
    golden = [{"v": item} for item in items]
    output = [{"v": item, "extra": extra} for item, extra in zip(items, extras + [0] * len(items), strict=False)]
    output = data.draw(st.permutations(output))
    assert JsonComparison(ignore_order=True, ignore_extra_keys=True).matches(golden, output)


xml_tags = st.sampled_from("ab")
xml_attributes = st.dictionaries(st.sampled_from("xy"), st.sampled_from("12"), max_size=2)
xml_elements = st.recursive(
    st.builds(lambda tag, attrs: (tag, attrs, []), xml_tags, xml_attributes),
    lambda children: st.builds(lambda *parts: parts, xml_tags, xml_attributes, st.lists(children, max_size=4)),
    max_leaves=10,
)


def to_xml(node) -> str:
    tag, attrs, children = node
    attributes = "".join(f' {name}="{value}"' for name, value in attrs.items())
    return f"<{tag}{attributes}>{''.join(to_xml(child) for child in children)}</{tag}>"


def xml_reference(golden, output, ignore_extra_attributes: bool) -> bool:
    (tag, attrs, children), (other_tag, other_attrs, other_children) = golden, output
    if tag != other_tag or len(children) != len(other_children):
        return False
    if ignore_extra_attributes:
        if any(other_attrs.get(name) != value for name, value in attrs.items()):
            return False
    elif attrs != other_attrs:
        return False
    return any(
        all(xml_reference(g, other_children[j], ignore_extra_attributes) for g, j in zip(children, order, strict=True))
        for order in permutations(range(len(other_children)))
    )


@examples
@given(golden=xml_elements, output=xml_elements, ignore_extra_attributes=st.booleans())
def test_unordered_xml_comparison_matches_trying_every_pairing(golden, output, ignore_extra_attributes):
    options = {"ignore_order": True, "ignore_extra_attributes": ignore_extra_attributes, "ignore_whitespace": True}
    fast = XmlComparison(options).matches(etree.fromstring(to_xml(golden)), etree.fromstring(to_xml(output)), False)
    assert fast == xml_reference(golden, output, ignore_extra_attributes)


def test_a_comparison_past_its_budget_is_refused_as_too_large():
    comparison = JsonComparison(ignore_order=True, ignore_extra_keys=True)
    comparison.budget = Budget(limit=100)
    golden = [{"a": [index]} for index in range(50)] + [{"a": {"b": index}} for index in range(50)]
    output = [{"a": {"b": index, "c": 1}} for index in reversed(range(50))] + [{"a": [index]} for index in range(50)]

    with pytest.raises(MetricInputError, match="too large to evaluate"):
        comparison.matches(golden, output)


regex_pieces = st.sampled_from(
    ["a", "(", ")", "(?:", "[a-z]", "\\d", "|", "*", "+", "?", "{10}", "{100}", "{1000}", "{2,}", "{,50}", "\\p{L}"]
)


@settings(max_examples=300, deadline=timedelta(seconds=2), database=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=st.lists(regex_pieces, max_size=60).map("".join))
def test_a_pattern_within_the_bounds_compiles_at_once_or_is_refused(pattern):
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        assert str(exc)
