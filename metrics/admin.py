from django.contrib import admin, messages

from metrics import registry
from metrics.models import Metric


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
        scorable = [metric.pk for metric in queryset if (spec := registry.get(metric.pk)) and spec.scorer]
        updated = queryset.filter(pk__in=scorable).update(is_active=True)
        skipped = queryset.count() - len(scorable)
        self.message_user(request, f"Activated {updated} metric(s).", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} metric(s) have no scorer here and stay inactive.", messages.WARNING)

    @admin.action(description="Deactivate selected metrics")
    def deactivate(self, request, queryset):
        self.message_user(request, f"Deactivated {queryset.update(is_active=False)} metric(s).", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        spec = registry.get(obj.pk)
        if obj.is_active and not (spec and spec.scorer):
            obj.is_active = False
            self.message_user(request, "This metric has no scorer here; it stays inactive.", messages.WARNING)
        super().save_model(request, obj, form, change)
