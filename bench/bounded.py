"""What the bounded evaluators cost: a structural evaluation scored in the caller vs in an evaluator process.

    .venv/bin/python bench/bounded.py                  # 20,000 small rows per metric, best of 3
    .venv/bin/python bench/bounded.py --rows 5000 --repeat 5

For each of a few cheap metrics it scores the same rows twice through metrics.bounded.iter_scores: once with the
metric's small linear evaluations scored in the caller (MetricSpec.linear_when), once with every evaluation sent
to the evaluators, and prints the microseconds per evaluation of each. It also prints how long a fresh process
takes to start its evaluators (the fork server and METRIC_WORKERS processes), which a Celery pool process pays
once, on its first structural evaluation.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METRICS = ("exact_match", "json_equal", "word_ct_match", "is_valid_json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aegis.settings")
    import django

    django.setup()
    from metrics import bounded
    from metrics.args import resolve_args
    from metrics.registry import by_shortname

    rows = [
        {
            "prompt": "q",
            "input": None,
            "context": None,
            "output": f'{{"id": {index}, "tags": ["refund", "order"], "ok": true}}',
            "golden_answer": f'{{"id": {index}, "tags": ["refund", "order"], "ok": {str(index % 3 > 0).lower()}}}',
        }
        for index in range(options.rows)
    ]
    started = time.perf_counter()
    bounded.score(by_shortname("exact_match"), rows[0], {"strip_whitespace": False, "case_insensitive": False})
    bounded.score(by_shortname("rouge"), rows[0], resolve_args(by_shortname("rouge")))  # not inline: starts the pool
    print(f"evaluators started in {time.perf_counter() - started:.2f} s (fork server and {bounded._limits()[2]})")

    inline_limit = bounded.INLINE_MAX_CHARS
    print(f"{'metric':16}{'inline':>12}{'pooled':>12}   (microseconds per evaluation, {options.rows:,} rows)")
    for name in METRICS:
        spec = by_shortname(name)
        work = [(spec, row, resolve_args(spec)) for row in rows]
        costs = []
        for limit in (inline_limit, -1):  # -1: no evaluation is small enough to stay in the caller
            bounded.INLINE_MAX_CHARS = limit
            best = min(_timed(lambda work=work: list(bounded.iter_scores(work))) for _ in range(options.repeat))
            costs.append(best * 1e6 / options.rows)
        bounded.INLINE_MAX_CHARS = inline_limit
        print(f"{name:16}{costs[0]:12.1f}{costs[1]:12.1f}")
    bounded.shutdown()


def _timed(job) -> float:
    started = time.perf_counter()
    job()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
