"""The uncertainty of a mean paired delta: a percentile bootstrap over the pairs, with a fixed seed.

The database hands over the paired differences already grouped (difference in tenths of a point: pairs, and their
summed difference), so the bootstrap costs resamples x distinct groups, not resamples x records: resampling n pairs
with replacement is exactly a multinomial draw over the groups. Groups are merged into at most MAX_GROUPS
equal-width bins, each standing at the mean of its pairs, which keeps the mean exact and loses at most a
bin-width's worth of spread (a few hundredths of a point on a 0-100 scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

RESAMPLES = 2000
SEED = 15
CONFIDENCE = 0.95
MAX_GROUPS = 256
_CHUNK = 500  # resamples drawn at once: bounds memory at 500 x MAX_GROUPS counts


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def paired_interval(groups: list[tuple[int, float]]) -> Interval | None:
    """`groups`: (pairs, summed difference) per group of similar differences. None without any pair."""
    import numpy as np  # here, not at the top: a web worker that never compares runs need not load it (~15 MB)

    groups = sorted((count, total) for count, total in groups if count > 0)  # a fixed order: the same draws
    if not groups:
        return None
    counts = np.array([count for count, _ in groups], dtype=np.int64)
    values = np.array([total / count for count, total in groups], dtype=float)
    counts, values = _merged(counts, values)
    n = int(counts.sum())
    mean = float(counts @ values) / n
    if len(counts) == 1:
        return Interval(low=mean, high=mean)
    rng = np.random.default_rng(SEED)
    probabilities = counts / n
    means = np.empty(RESAMPLES)
    for start in range(0, RESAMPLES, _CHUNK):
        size = min(_CHUNK, RESAMPLES - start)
        means[start : start + size] = rng.multinomial(n, probabilities, size=size) @ values / n
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(low=float(low), high=float(high))


def _merged(counts: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    order = np.argsort(values, kind="stable")
    counts, values = counts[order], values[order]
    if len(values) <= MAX_GROUPS:
        return counts, values
    edges = np.linspace(values[0], values[-1], MAX_GROUPS + 1)
    bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, MAX_GROUPS - 1)
    bin_counts = np.bincount(bins, weights=counts, minlength=MAX_GROUPS)
    bin_sums = np.bincount(bins, weights=counts * values, minlength=MAX_GROUPS)
    kept = bin_counts > 0
    return bin_counts[kept].astype(np.int64), bin_sums[kept] / bin_counts[kept]
