from django.contrib import admin

from runs.models import Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "alias", "run_type", "user", "org", "result", "started_at", "finished_at"]
    list_filter = ["run_type"]
    search_fields = ["alias", "author_email"]
    raw_id_fields = ["user", "org", "dataset", "data_collection"]
    readonly_fields = ["result", "aggregate_results", "total_cost", "is_gte_threshold", "started_at", "finished_at"]
