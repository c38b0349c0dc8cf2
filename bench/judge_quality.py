"""How well the LLM-judged metrics agree with a person, on the labelled cases of bench/data/judge_labels.jsonl.

    .venv/bin/python bench/judge_quality.py --loopback          # plumbing only: no key, no network, scores meaningless
    OPENAI_API_KEY=sk-... .venv/bin/python bench/judge_quality.py                        # the default model, gpt-4o
    OPENAI_API_KEY=sk-... .venv/bin/python bench/judge_quality.py --model gpt-4o-mini
    ANTHROPIC_API_KEY=sk-ant-... .venv/bin/python bench/judge_quality.py --model claude-haiku-4-5
    OPENAI_API_KEY=sk-... .venv/bin/python bench/judge_quality.py --metrics ans_corr,faith --show all

With a real key it calls the provider, so it costs money: about 48 evaluations of one to four judge calls each,
a few cents on gpt-4o-mini and well under a dollar on gpt-4o (the total is printed at the end). The judge is
configured exactly as in the service: the key and base URL come from the variables the model's catalog entry
names (OPENAI_API_KEY and OPENAI_BASE_URL for the OpenAI models, ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL for
the Anthropic ones, GEMINI_API_KEY, MISTRAL_API_KEY...), and LLM_JUDGE_TIMEOUT_S, LLM_JUDGE_MAX_RETRIES and
LLM_JUDGE_CONCURRENCY apply. An OpenAI-compatible server of your own works through OPENAI_BASE_URL, provided it
serves the catalog model's provider model name (e.g. `gpt-4o`).

Every case goes through the real service path: one blocking custom run (runs.services.run_create_custom) with one
block per metric, on a throwaway database (PostgreSQL at DATABASE_URL's server, default
postgres://postgres@127.0.0.1:5432/postgres, created and dropped; or a temporary SQLite file with --sqlite). The
judge cache starts empty, so every case is judged afresh.

For each metric it prints, with "positive" meaning the row passes (label 1; score >= threshold):

- n (cases scored) and failed (cases the judge could not score, e.g. an HTTP error; left out of the figures);
- at the metric's default threshold: accuracy, precision, recall, F1 and the confusion counts;
- AUC, the chance that a passing case scores above a failing one (threshold-free);
- the best threshold (highest accuracy; ties go to the one nearest the default) with its accuracy;
- Spearman's rho between score and label, when a metric's labels are graded (the shipped labels are 0/1: "-").

Then the cases the default threshold gets wrong (--show all: every case), and the judge's cost. With --loopback it
starts the loopback LLM server in-process (every reply the smallest instance of the requested schema), points
the judge at it with a dummy key, and says so: the scores then only prove that the path works end to end.
"""

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import harness  # bench/ is first on sys.path (this script's folder), until the project root is put before it

ROOT = harness.ROOT
sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / "data" / "judge_labels.jsonl"
FIELDS = ("prompt", "input", "context", "output", "golden_answer")
LOOPBACK_KEY = "sk-loopback-not-a-key"
EXPLANATION_CHARS = 110
DROP_SECONDS = 60


@dataclass(frozen=True)
class Case:
    id: str
    metric: str
    label: float
    fields: dict


@dataclass(frozen=True)
class Scored:
    case: Case
    score: float | None  # None: the judge could not score it
    explanation: str
    threshold: int  # the run's threshold for it: the metric's default


def load_cases(path: Path, metrics: list[str] | None) -> list[Case]:
    cases = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if metrics and row["metric"] not in metrics:
                continue
            fields = {name: row.get(name) for name in FIELDS}
            cases.append(Case(str(row.get("id", number)), row["metric"], float(row["label"]), fields))
    return cases


# --- the database ----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_database(sqlite: bool):
    """Yields a DATABASE_URL for a database that exists only for this run."""
    if sqlite:
        with tempfile.TemporaryDirectory(prefix="aegis-judge-quality-") as folder:
            yield f"sqlite:///{folder}/db.sqlite3"
        return
    server = os.environ.get("DATABASE_URL", harness.LOCAL_SERVER)
    if not server.startswith("postgres"):
        raise SystemExit("DATABASE_URL must point at a PostgreSQL server (or pass --sqlite)")
    with harness.throwaway_database("aegis_bench_quality", server=server, drop_timeout=DROP_SECONDS) as database:
        try:
            yield database.url
        finally:
            harness.close_django_connections()


def setup_django(url: str) -> None:
    environ = {"DATABASE_URL": url, "CELERY_BROKER_URL": "", "REDIS_URL": ""}  # a blocking run scores in this process
    harness.setup_django(environ, defaults={"DEBUG": "1", "LOG_LEVEL": "WARNING"})


# --- scoring through the service -------------------------------------------------------------------------------------


def score_cases(cases: list[Case], model_slug: str | None) -> tuple[list[Scored], Decimal, float]:
    """One blocking custom run, a block per metric; returns the scored cases, the judge's cost and the seconds."""
    from accounts.models import User
    from runs.models import Evaluation
    from runs.services import run_create_custom

    by_metric: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_metric[case.metric].append(case)
    blocks = [{"data": [case.fields for case in group], "metrics": [metric]} for metric, group in by_metric.items()]

    user = User.objects.create_user(email="quality@aegis.local")  # no credit limit
    started = time.monotonic()
    run = run_create_custom(user=user, evaluations=blocks, model_slug=model_slug, is_blocking=True)
    seconds = time.monotonic() - started

    found = {
        (row["metric_shortname"], row["record_index"]): row
        for row in Evaluation.objects.filter(run=run).values(
            "metric_shortname", "record_index", "result", "explanation", "is_success", "evaluation_cost", "threshold"
        )
    }
    scored, cost = [], Decimal(0)
    for metric, group in by_metric.items():
        for index, case in enumerate(group):
            row = found[(metric, index)]
            cost += row["evaluation_cost"] or 0
            score = row["result"] if row["is_success"] else None
            scored.append(Scored(case, score, row["explanation"] or "", row["threshold"]))
    return scored, cost, seconds


# --- the figures -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Confusion:
    tp: int
    fp: int
    fn: int
    tn: int

    @classmethod
    def at(cls, pairs: list[tuple[float, bool]], threshold: float) -> "Confusion":
        tp = sum(1 for score, good in pairs if good and score >= threshold)
        fp = sum(1 for score, good in pairs if not good and score >= threshold)
        fn = sum(1 for score, good in pairs if good and score < threshold)
        return cls(tp, fp, fn, len(pairs) - tp - fp - fn)

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else float("nan")

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else float("nan")


def auc(pairs: list[tuple[float, bool]]) -> float:
    """P(a passing case scores above a failing one), ties counting half; nan without both kinds."""
    good = [score for score, ok in pairs if ok]
    bad = [score for score, ok in pairs if not ok]
    if not good or not bad:
        return float("nan")
    wins = sum(1.0 if g > b else 0.5 if g == b else 0.0 for g in good for b in bad)
    return wins / (len(good) * len(bad))


def ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 + 1  # ties share their average rank
        start = end + 1
    return result


def spearman(xs: list[float], ys: list[float]) -> float:
    if len(xs) < 2:
        return float("nan")
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return cov / (vx * vy) ** 0.5 if vx and vy else float("nan")


def best_threshold(pairs: list[tuple[float, bool]], default: float) -> tuple[float, float]:
    """(threshold, accuracy): the most accurate cut among 0..100 and the scores seen, nearest the default on ties."""
    candidates = sorted({float(t) for t in range(101)} | {score for score, _ in pairs})
    return max(
        ((t, Confusion.at(pairs, t).accuracy) for t in candidates),
        key=lambda item: (item[1], -abs(item[0] - default)),
    )


def fmt(value: float, digits: int = 2) -> str:
    return "-" if value != value else f"{value:.{digits}f}"  # nan -> "-"


def report(scored: list[Scored], show: str) -> None:
    header = (
        f"{'metric':<22}{'n':>3}{'failed':>7}{'thr':>5}{'acc':>6}{'prec':>6}{'rec':>6}{'F1':>6}"
        f"{'TP':>4}{'FP':>4}{'FN':>4}{'TN':>4}{'AUC':>6}{'best thr':>10}{'acc':>6}{'Spearman':>10}"
    )
    print(header)
    print("-" * len(header))
    by_metric: dict[str, list[Scored]] = defaultdict(list)
    for item in scored:
        by_metric[item.case.metric].append(item)
    for metric, items in by_metric.items():
        threshold = items[0].threshold
        judged = [item for item in items if item.score is not None]
        # A label of 1 means the row should pass; a graded label (e.g. 0.6) counts as passing from 0.5 up.
        pairs = [(item.score, item.case.label >= 0.5) for item in judged]
        confusion = Confusion.at(pairs, threshold)
        graded = len({item.case.label for item in judged}) > 2
        rho = spearman([item.score for item in judged], [item.case.label for item in judged]) if graded else None
        best, best_accuracy = best_threshold(pairs, threshold) if pairs else (float("nan"), float("nan"))
        print(
            f"{metric:<22}{len(judged):>3}{len(items) - len(judged):>7}{threshold:>5}"
            f"{fmt(confusion.accuracy):>6}{fmt(confusion.precision):>6}{fmt(confusion.recall):>6}{fmt(confusion.f1):>6}"
            f"{confusion.tp:>4}{confusion.fp:>4}{confusion.fn:>4}{confusion.tn:>4}{fmt(auc(pairs)):>6}"
            f"{fmt(best, 1):>10}{fmt(best_accuracy):>6}{'-' if rho is None else fmt(rho):>10}"
        )

    listed = []
    for item in scored:
        wrong = item.score is None or (item.score >= item.threshold) != (item.case.label >= 0.5)
        if show == "all" or (show == "wrong" and wrong):
            listed.append((item, wrong))
    if listed:
        print()
        print("cases" if show == "all" else "cases the default threshold gets wrong (or the judge failed)")
        for item, wrong in listed:
            score = "failed" if item.score is None else f"{item.score:6.1f}"
            explanation = " ".join(item.explanation.split())
            if len(explanation) > EXPLANATION_CHARS:
                explanation = explanation[: EXPLANATION_CHARS - 1] + "…"
            mark = "x" if wrong else " "
            print(f"  {mark} {item.case.id:<26} label {item.case.label:g}  score {score}  {explanation}")


# --- the judge's configuration ---------------------------------------------------------------------------------------


def describe_route(model_slug: str | None) -> str:
    from metrics.availability import DEFAULT_MODEL_SLUG
    from metrics.judges.routing import configuration_problem, resolved_base_url, route_for

    slug = model_slug or DEFAULT_MODEL_SLUG
    route = route_for(slug)
    if route is None:
        raise SystemExit(f"model {slug!r} is not in the model catalog (metrics.LlmModel)")
    if problem := configuration_problem(route):
        raise SystemExit(f"model {slug!r} needs a key: {problem} (or pass --loopback to test the plumbing)")
    base_url = resolved_base_url(route) or "the provider's public API"
    return f"{slug} ({route.provider} {route.provider_model}, {base_url})"


def point_at_loopback(base_url: str) -> None:
    """Every provider the catalog routes through the environment goes to the loopback server, with a dummy key."""
    os.environ["OPENAI_BASE_URL"] = f"{base_url}/v1"
    os.environ["ANTHROPIC_BASE_URL"] = base_url
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        os.environ[name] = LOOPBACK_KEY


def check_loopback_route(model_slug: str | None) -> None:
    from metrics.availability import DEFAULT_MODEL_SLUG
    from metrics.judges.routing import route_for

    route = route_for(model_slug or DEFAULT_MODEL_SLUG)
    if route is not None and route.base_url:
        raise SystemExit(f"--loopback cannot redirect {route.slug}: its catalog entry names its own server")
    if route is not None and route.api_key_env:
        os.environ[route.api_key_env] = LOOPBACK_KEY


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="catalog model slug (default: the platform default, gpt-4o)")
    parser.add_argument("--metrics", help="comma-separated shortnames to score (default: every metric in the data)")
    parser.add_argument("--data", type=Path, default=DATA, help=f"labelled cases (default {DATA.relative_to(ROOT)})")
    parser.add_argument("--loopback", action="store_true", help="judge with the loopback server: plumbing only")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--show", choices=("wrong", "all", "none"), default="wrong", help="which cases to list")
    options = parser.parse_args()
    options.data = options.data.resolve()
    # Importing Celery (with Django) puts the working directory first on sys.path: run from this file's tree, so
    # that a copy of the tree run from elsewhere never mixes in the modules of the directory it was started from.
    os.chdir(ROOT)
    metrics = [name.strip() for name in options.metrics.split(",")] if options.metrics else None
    cases = load_cases(options.data, metrics)
    if not cases:
        parser.error("no case matches --metrics")

    with contextlib.ExitStack() as stack:
        if options.loopback:
            from aegis.testing.llm_server import LlmServer, bench_responder

            server = stack.enter_context(LlmServer(record=False))
            server.responder = bench_responder()
            point_at_loopback(server.base_url)
        url = stack.enter_context(throwaway_database(options.sqlite))
        setup_django(url)
        if options.loopback:
            check_loopback_route(options.model)
        judge = describe_route(options.model)

        print(
            f"data      {options.data.relative_to(ROOT) if options.data.is_relative_to(ROOT) else options.data}: "
            f"{len(cases)} cases"
        )
        print(f"judge     {judge}")
        if options.loopback:
            print("LOOPBACK  the judge is the loopback server, which answers every request with the smallest instance")
            print("          of its schema: the scores below are MEANINGLESS and only show that the service path works")
            print("          end to end. Run without --loopback, with a key, for real figures.")
        scored, cost, seconds = score_cases(cases, options.model)
        service = "runs.services.run_create_custom (blocking)"
        print(f"scored    in {seconds:.1f} s through {service}; judge cost {cost.normalize():f}")
        print("positive  the row passes: label 1, and score >= the metric's default threshold (thr)")
        print()
        report(scored, options.show)
        if options.loopback:
            print()
            print("LOOPBACK: these figures are meaningless (see above).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
