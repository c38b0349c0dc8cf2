"""The run report: per-metric aggregates, pass rates, score histograms, failures and a page of evaluations.

Read in a fixed number of queries whatever the run's size (two GROUP BY over the run's evaluations, then two
bounded pages), and rendered to HTML for the admin's run page and GET /runs/{id}/report alike.
"""

from dataclasses import dataclass, field

from django.db.models import Avg, Case, Count, F, IntegerField, Max, Min, Q, Value, When
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from metrics import registry
from runs.models import Evaluation, Run
from runs.report_chart import BIN_COUNT, histogram_svg
from runs.representation import evaluation_item, run_object
from runs.selectors import evaluation_page_rows

PAGE_SIZE = 50


@dataclass
class MetricSummary:
    metric_id: int
    shortname: str
    name: str
    total: int
    scored: int
    failed: int
    pending: int
    passed: int
    mean: float | None
    threshold_low: int
    threshold_high: int
    bins: list[int] = field(default_factory=lambda: [0] * BIN_COUNT)

    @property
    def pass_rate(self) -> float | None:
        """Of the evaluations that produced a score, the share at or above their threshold (percent)."""
        return 100 * self.passed / self.scored if self.scored else None

    @property
    def threshold(self) -> str:
        return (
            str(self.threshold_low)
            if self.threshold_low == self.threshold_high
            else f"{self.threshold_low}-{self.threshold_high}"
        )

    @property
    def histogram(self) -> str:
        line = self.threshold_low if self.threshold_low == self.threshold_high else None
        title = f"Scores of {self.shortname}: {self.scored} evaluations in ranges of 10"
        return mark_safe(histogram_svg(self.bins, title=title, threshold=line))  # noqa: S308  (escaped inside)


def _score_bin():
    whens = [When(result__lt=(index + 1) * 100 // BIN_COUNT, then=Value(index)) for index in range(BIN_COUNT - 1)]
    return Case(*whens, default=Value(BIN_COUNT - 1), output_field=IntegerField())


def metric_summaries(run_id: int) -> list[MetricSummary]:
    evaluations = Evaluation.objects.filter(run_id=run_id)
    succeeded = Q(is_success=True)
    rows = (
        evaluations.values("metric_id", "metric_shortname")
        .annotate(
            total=Count("id"),
            scored=Count("id", filter=succeeded & Q(result__isnull=False)),
            failed=Count("id", filter=Q(is_success=False)),
            pending=Count("id", filter=Q(is_success__isnull=True)),
            passed=Count("id", filter=succeeded & Q(result__gte=F("threshold"))),
            mean=Avg("result", filter=succeeded),
            threshold_low=Min("threshold"),
            threshold_high=Max("threshold"),
        )
        .order_by("metric_id", "metric_shortname")
    )
    summaries = {}
    for row in rows:
        spec = registry.get(row["metric_id"])
        summaries[row["metric_shortname"]] = MetricSummary(
            metric_id=row["metric_id"],
            shortname=row["metric_shortname"],
            name=spec.name if spec else row["metric_shortname"],
            **{key: row[key] for key in ("total", "scored", "failed", "pending", "passed", "mean")},
            threshold_low=row["threshold_low"],
            threshold_high=row["threshold_high"],
        )
    bins = (
        evaluations.filter(succeeded, result__isnull=False)
        .annotate(score_bin=_score_bin())
        .values("metric_shortname", "score_bin")
        .annotate(count=Count("id"))
        .order_by()
    )
    for row in bins:
        summaries[row["metric_shortname"]].bins[row["score_bin"]] = row["count"]
    return list(summaries.values())


@dataclass
class Page:
    number: int
    total_items: int
    items: list[dict]
    size: int = PAGE_SIZE

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total_items // self.size))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.total_pages else None


def _page(run: Run, number: int, *, failed_only: bool) -> Page:
    rows, total = evaluation_page_rows(run, is_success=False if failed_only else None)
    start = (number - 1) * PAGE_SIZE
    items = [evaluation_item(row) for row in rows[start : start + PAGE_SIZE]]
    return Page(number=number, total_items=total or 0, items=items)


def run_report(run: Run, *, page: int = 1, failed_page: int = 1) -> dict:
    """Everything the report shows. The stored progress gives the totals, so paging never counts."""
    return {
        "run": run_object(run),
        "metrics": metric_summaries(run.pk),
        "failed": _page(run, failed_page, failed_only=True),
        "evaluations": _page(run, page, failed_only=False),
    }


def render_report(
    run: Run, *, page: int, failed_page: int, csv_url: str, request=None, standalone: bool, extra: dict | None = None
) -> str:
    """`extra`: the comparison view's context (runs.report_compare), on the API's page."""
    context = run_report(run, page=page, failed_page=failed_page) | {"csv_url": csv_url, "standalone": standalone}
    context |= extra or {}
    template = "runs/report.html" if standalone else "runs/report_body.html"
    return render_to_string(template, context, request=request)
