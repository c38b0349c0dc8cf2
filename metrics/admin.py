from django.contrib import admin, messages

from metrics.judges.routing import configuration_problem, route_of
from metrics.models import JudgeCacheEntry, LlmModel, Metric
from metrics.services import metrics_activate, metrics_deactivate


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ("id", "shortname", "name", "category", "default_threshold", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("shortname", "name")
    readonly_fields = ("id", "shortname", "name", "category", "description", "default_threshold", "args")
    fields = (*readonly_fields, "is_active")
    actions = ["activate", "deactivate"]

    def has_add_permission(self, request):
        return False  # metrics are defined in code (metrics.registry); the catalog mirrors them

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Activate selected metrics")
    def activate(self, request, queryset):
        updated, skipped = metrics_activate(metric_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Activated {updated} metric(s).", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} metric(s) have no scorer here and stay inactive.", messages.WARNING)

    @admin.action(description="Deactivate selected metrics")
    def deactivate(self, request, queryset):
        deactivated = metrics_deactivate(metric_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Deactivated {deactivated} metric(s).", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        # is_active is the only editable field; the catalog service applies the activation rule to it.
        if not obj.is_active:
            metrics_deactivate(metric_ids=[obj.pk])
            return
        _, skipped = metrics_activate(metric_ids=[obj.pk])
        if skipped:
            obj.is_active = False
            self.message_user(request, "This metric has no scorer here; it stays inactive.", messages.WARNING)


@admin.register(LlmModel)
class LlmModelAdmin(admin.ModelAdmin):
    list_display = (
        "slug",
        "provider",
        "provider_model",
        "input_cost_per_million_tokens",
        "output_cost_per_million_tokens",
        "supports_json_schema",
        "judge_status",
    )
    list_filter = ("provider", "supports_json_schema")
    search_fields = ("slug", "name", "provider_model")
    fieldsets = (
        (None, {"fields": ("slug", "name", "supplier")}),
        ("Routing", {"fields": ("provider", "provider_model", "base_url", "api_key_env", "supports_json_schema")}),
        (
            "Prices (USD per million tokens)",
            {"fields": ("input_cost_per_million_tokens", "output_cost_per_million_tokens")},
        ),
    )

    @admin.display(description="judge")
    def judge_status(self, obj):
        # Read from this process's environment: the web server's, which is what the API reports to users.
        return configuration_problem(route_of(obj)) or "ready"


@admin.register(JudgeCacheEntry)
class JudgeCacheEntryAdmin(admin.ModelAdmin):
    """Read-only; staff may delete entries (all of them, to make every judge request go out again)."""

    list_display = ("key", "model", "tokens_in", "tokens_out", "created_at")
    list_filter = ("model",)
    search_fields = ("key",)
    readonly_fields = ("key", "model", "reply", "tokens_in", "tokens_out", "created_at")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
