"""Order-insensitive comparison of two equally long lists whose items match by a custom rule.

The rule ("golden item g is satisfied by output item o", e.g. o may carry extra keys) must be a preorder:
reflexive and transitive. Then an output item structurally identical to a golden one can always take it
(exchanging partners keeps any complete pairing complete), so identical items pair first in linear time and
only the rest needs a real bipartite matching. Candidates for those come from an index of features that any
satisfying output item must share with the golden item, and every comparison is counted against a budget:
past it the evaluation is refused as too large, instead of running for minutes on a quadratic pairing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Sequence

from .base import MetricInputError

MAX_COMPARISONS = 250_000


class Budget:
    """Item comparisons left for one evaluation."""

    def __init__(self, limit: int = MAX_COMPARISONS):
        self.limit = limit
        self.left = limit

    def spend(self, amount: int = 1) -> None:
        self.left -= amount
        if self.left < 0:
            raise MetricInputError(
                f"too large to evaluate: comparing these items regardless of order needs over {self.limit:,} "
                "item comparisons"
            )


class Interner:
    """Equal keys get the same small int, so a structure's form costs one int however large the structure is."""

    def __init__(self) -> None:
        self._ids: dict[Hashable, int] = {}

    def __call__(self, key: Hashable) -> int:
        return self._ids.setdefault(key, len(self._ids))


def match_unordered(
    golden: Sequence[object],
    output: Sequence[object],
    *,
    form: Callable[[object], Hashable],
    features: Callable[[object], frozenset[Hashable]],
    compatible: Callable[[object, object], bool],
    budget: Budget,
) -> bool:
    """True when every golden item pairs with a distinct output item that satisfies it.

    form(item): equal forms mean the two items satisfy each other. features(item): everything in a golden
    item's features is in the features of any output item that satisfies it.
    """
    if len(golden) != len(output):
        return False
    spare: dict[Hashable, list[int]] = {}
    for index, item in enumerate(output):
        spare.setdefault(form(item), []).append(index)
    left = []
    for item in golden:
        same = spare.get(form(item))
        if same:
            same.pop()
        else:
            left.append(item)
    if not left:
        return True
    rest = [output[index] for indexes in spare.values() for index in indexes]
    rest_features = [features(item) for item in rest]
    postings: dict[Hashable, list[int]] = {}
    for index, item_features in enumerate(rest_features):
        for feature in item_features:
            postings.setdefault(feature, []).append(index)
    # Golden items with the same features share one candidate list (many golden items are often alike).
    shared: dict[frozenset[Hashable], list[int]] = {}
    candidates = []
    for item in left:
        wanted = features(item)
        found = shared.get(wanted)
        if found is None:
            smallest = min((postings.get(feature, []) for feature in wanted), key=len, default=range(len(rest)))
            budget.spend(len(smallest) * max(1, len(wanted)))
            found = shared[wanted] = [index for index in smallest if wanted <= rest_features[index]]
        if not found:
            return False
        candidates.append(found)
    return _complete_matching(candidates, len(rest), lambda i, j: compatible(left[i], rest[j]), budget)


def _complete_matching(
    candidates: list[list[int]], size: int, fits: Callable[[int, int], bool], budget: Budget
) -> bool:
    """Bipartite matching of golden i to output j among candidates[i]: greedy first, then breadth-first
    augmenting paths for the golden items left over (no recursion, so long lists are safe)."""
    known: dict[tuple[int, int], bool] = {}

    def compatible(i: int, j: int) -> bool:
        if (i, j) not in known:
            known[(i, j)] = fits(i, j)
        return known[(i, j)]

    owner: list[int | None] = [None] * size  # output item -> golden item paired with it
    # Per shared candidate list, how many of its first entries are taken: the greedy pass only ever takes, so
    # alike golden items do not rescan what the ones before them took.
    taken: dict[int, int] = {}
    unpaired = []
    for i, choices in enumerate(candidates):
        start = taken.get(id(choices), 0)
        while start < len(choices) and owner[choices[start]] is not None:
            start += 1
        taken[id(choices)] = start
        for position in range(start, len(choices)):
            j = choices[position]
            budget.spend()
            if owner[j] is None and compatible(i, j):
                owner[j] = i
                break
        else:
            unpaired.append(i)
    for start in unpaired:
        came_from: dict[int, int | None] = {}  # output item -> previous output item on the path
        via_golden: dict[int, int] = {}  # output item -> golden item that reached it
        queue: deque[tuple[int, int | None]] = deque([(start, None)])
        end = None
        while queue and end is None:
            golden, previous_output = queue.popleft()
            for output in candidates[golden]:
                budget.spend()
                if output in came_from or not compatible(golden, output):
                    continue
                came_from[output] = previous_output
                via_golden[output] = golden
                paired_with = owner[output]
                if paired_with is None:
                    end = output
                    break
                queue.append((paired_with, output))
        if end is None:
            return False
        step: int | None = end
        while step is not None:
            owner[step] = via_golden[step]
            step = came_from[step]
    return True
