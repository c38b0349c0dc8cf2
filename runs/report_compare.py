"""The comparison view of the run report (GET /runs/{id}/report?compare=<base run id>).

Per metric in both runs: each run's score histogram side by side in one chart with the threshold line, the means,
the delta and its interval from the comparison summary; then the regressed records, 50 a page, from the records
query. The same reads as GET /runs/compare and /runs/compare/records, so the page and the API never disagree.
"""

from dataclasses import dataclass

from django.utils.safestring import mark_safe

from accounts.models import User
from datasets.models import Dataset
from runs.compare import Comparison, comparison_for, comparison_summary
from runs.compare_records import record_count, record_page
from runs.models import Run
from runs.report import PAGE_SIZE, MetricSummary, Page, metric_summaries
from runs.report_chart import paired_histogram_svg


@dataclass
class MetricComparison:
    shortname: str
    base: MetricSummary
    head: MetricSummary
    summary: dict  # the metric's entry in the comparison summary

    @property
    def histograms(self) -> str:
        line = self.head.threshold_low if self.head.threshold_low == self.head.threshold_high else None
        title = f"Scores of {self.shortname}: base run (left bar) and head run (right bar), in ranges of 10"
        svg = paired_histogram_svg(self.base.bins, self.head.bins, title=title, threshold=line)
        return mark_safe(svg)  # noqa: S308  (escaped inside)


def comparison_report(comparison: Comparison, *, page: int) -> dict:
    summary = comparison_summary(comparison)
    base = {metric.shortname: metric for metric in metric_summaries(comparison.base.pk)}
    head = {metric.shortname: metric for metric in metric_summaries(comparison.head.pk)}
    metrics = [
        MetricComparison(shortname=item["metric"], base=base[item["metric"]], head=head[item["metric"]], summary=item)
        for item in summary["metrics"]
        if item["metric"] in base and item["metric"] in head
    ]
    total = record_count(comparison, metric=None, change="regressed")
    offset = (page - 1) * PAGE_SIZE
    # A page past the end is empty without a query, as in the records endpoint.
    rows = (
        record_page(comparison, after=None, offset=offset, limit=PAGE_SIZE, metric=None, change="regressed")
        if offset < total
        else []
    )
    regressions = [
        {
            "base_record": row["base_record"],
            "head_record": row["head_record"],
            "metrics": {name: pair for name, pair in row["metrics"].items() if pair["change"] == "regressed"},
        }
        for row in rows
    ]
    return {
        "summary": summary,
        "metrics": metrics,
        "regressions": Page(number=page, total_items=total, items=regressions),
    }


def baseline_to_compare(*, user: User, run: Run) -> int | None:
    """The run's dataset baseline, when there is one other than the run and the caller may see it: the report
    links to the comparison with it."""
    if run.dataset_id is None:
        return None
    baseline_id = Dataset.objects.filter(pk=run.dataset_id).values_list("baseline_run_id", flat=True).first()
    if baseline_id is None or baseline_id == run.pk:
        return None
    return baseline_id if Run.objects.visible_to(user).filter(pk=baseline_id).exists() else None


def comparison_context(*, user: User, run: Run, compare_id: int | None, page: int) -> dict:
    """What the report adds: with `compare_id`, the comparison of `run` with that base run (both visible, 404
    otherwise; comparable, 400 otherwise); without it, the baseline to link to."""
    if compare_id is None:
        return {"baseline_id": baseline_to_compare(user=user, run=run)}
    comparison = comparison_for(user=user, base_id=compare_id, head_id=run.pk)
    return {"comparison": comparison_report(comparison, page=page), "keep_query": f"&compare={compare_id}"}
