from django.contrib import admin
from django.http import Http404, StreamingHttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from aegis.admin_forms import ServiceForm, bound_to_request
from runs.export import present_columns, stream_csv
from runs.models import Evaluation, Run
from runs.report import render_report
from runs.services import run_update


class RunAliasForm(ServiceForm):
    """The one field staff may change, renamed by the API's update service (the alias stays unique per owner)."""

    class Meta:
        model = Run
        fields = ("alias",)

    def apply(self, cleaned):
        run_update(user=self.request.user, run=self.instance, changes={"alias": cleaned["alias"]})


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    """Read-only but for the alias: owner, org, dataset and results follow the API's rules, not a form."""

    list_display = ["id", "alias", "run_type", "user", "org", "result", "started_at", "finished_at"]
    list_filter = ["run_type"]
    search_fields = ["alias", "author_email"]
    list_select_related = ["user", "org"]
    readonly_fields = [
        "user",
        "org",
        "author_email",
        "run_type",
        "run_source",
        "dataset",
        "data_collection",
        "dataset_version",
        "threshold",
        "model_slug",
        "result",
        "aggregate_results",
        "total_cost",
        "is_gte_threshold",
        "metric_count",
        "evaluation_count",
        "done_count",
        "failed_count",
        "started_at",
        "finished_at",
        "cancelled_at",
        "evaluations_link",
    ]
    fields = ["alias", *readonly_fields]

    def has_add_permission(self, request):
        return False  # runs start through the API, which checks credits and plans the work

    def has_delete_permission(self, request, obj=None):
        return False  # the API's delete removes the evaluations first and checks who may

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = bound_to_request(RunAliasForm, request)
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        pass  # the form's clean() renamed the run through the service

    # The run report (aggregates, pass rates, histograms, failures, paged evaluations) under the run's fields.

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is not None:
            html = render_report(
                run,
                page=_page_number(request.GET.get("page")),
                failed_page=_page_number(request.GET.get("failed_page")),
                csv_url=reverse("admin:runs_run_report_csv", args=[run.pk]),
                standalone=False,
            )
            extra_context = {**(extra_context or {}), "run_report_html": mark_safe(html)}  # noqa: S308  (escaped by the template)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        report_csv = self.admin_site.admin_view(self.report_csv)
        return [path("<path:object_id>/report.csv", report_csv, name="runs_run_report_csv"), *super().get_urls()]

    def report_csv(self, request, object_id):
        """The run's CSV report (the API's GET /runs/{id}/download) for staff, who may see every run here."""
        run = self.get_object(request, object_id)
        if run is None or not self.has_view_permission(request, run):
            raise Http404("No such run.")
        columns = present_columns(run)
        if not columns:
            raise Http404("The run has no evaluations.")
        response = StreamingHttpResponse(stream_csv(run, columns), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="run_{run.pk}_report.csv"'
        return response

    @admin.display(description="Evaluations")
    def evaluations_link(self, run):
        if run.pk is None:
            return "-"
        url = reverse("admin:runs_evaluation_changelist") + f"?run__id__exact={run.pk}"
        return format_html('<a href="{}">{} evaluations</a>', url, run.evaluations.count())


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    """Read-only and paginated: a run's evaluations, linked from the run's page (a run may have millions)."""

    list_display = ["id", "run", "record_index", "metric_shortname", "result", "is_success", "threshold"]
    # No list filters: each would scan every evaluation for its choices. The run's page links here by run id.
    list_per_page = 100
    show_full_result_count = False
    list_select_related = ["run"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # evaluations belong to their run; its stored aggregates are computed from them


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 10**9 else 1
