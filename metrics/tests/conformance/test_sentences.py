"""sent_ct_match's documented sentence rule (counts.SENTENCE_RULE) on fixed cases, with pysbd's counts beside
them (computed once by segment_with_pysbd.py) so the places where the simple rule and a full segmenter part are
visible and few."""

import pytest

from .suites import load_json, score

CASES = load_json("sentences.json")
# Where the rule knowingly differs from pysbd: it splits at "..." before a lowercase word, at "." inside
# brackets, after "ok." in lowercase chat, before "no. 5", and at "…" as at any terminator.
DIFFERS_FROM_PYSBD = {
    "Wait... what?! Really.",
    "He left (finally.) We cheered.",
    "ok. thanks. bye.",
    "This is it… The end.",
    "Item no. 5 is missing.",
    "Three dots... and then lowercase.",
}


@pytest.mark.parametrize("case", CASES, ids=[case["text"][:40] for case in CASES])
def test_sentence_count(case):
    count = case["expected"]
    assert score("sent_ct_match", case["text"], min_count=count, max_count=count).result == 100.0
    assert (case["pysbd"] == count) == (case["text"] not in DIFFERS_FROM_PYSBD)


def test_the_description_states_the_rule():
    from metrics.registry import by_shortname
    from metrics.registry.counts import SENTENCE_RULE

    assert SENTENCE_RULE in by_shortname("sent_ct_match").description
