"""Order-insensitive comparison of two equally long lists whose items match by a custom rule."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


def has_perfect_matching(size: int, compatible: Callable[[int, int], bool]) -> bool:
    """True when every golden item i can be paired with a distinct output item j such that compatible(i, j).

    Bipartite matching by breadth-first augmenting paths (no recursion, so long lists are safe).
    Each compatibility test runs at most once.
    """
    known: dict[tuple[int, int], bool] = {}

    def fits(i: int, j: int) -> bool:
        if (i, j) not in known:
            known[(i, j)] = compatible(i, j)
        return known[(i, j)]

    output_owner: list[int | None] = [None] * size  # output item -> golden item paired with it
    for start in range(size):
        came_from: dict[int, int | None] = {}  # output item -> previous output item on the path
        via_golden: dict[int, int] = {}  # output item -> golden item that reached it
        queue = deque([(start, None)])
        end = None
        while queue and end is None:
            golden, previous_output = queue.popleft()
            for output in range(size):
                if output in came_from or not fits(golden, output):
                    continue
                came_from[output] = previous_output
                via_golden[output] = golden
                owner = output_owner[output]
                if owner is None:
                    end = output
                    break
                queue.append((owner, output))
        if end is None:
            return False
        # Flip the pairs along the augmenting path.
        output = end
        while output is not None:
            output_owner[output] = via_golden[output]
            output = came_from[output]
    return True
