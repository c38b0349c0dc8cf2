from django.contrib import admin

from collections_app.models import DataCollection


@admin.register(DataCollection)
class DataCollectionAdmin(admin.ModelAdmin):
    """Staff make org-only collections here: choose an organization and leave the owner empty."""

    list_display = ("id", "name", "user", "org", "created_at")
    list_filter = ("org",)
    search_fields = ("name", "user__email", "author_email")
    autocomplete_fields = ("user",)
    fields = ("name", "org", "user", "author_email", "created_at", "updated_at")
    readonly_fields = ("author_email", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        if not obj.author_email:
            obj.author_email = obj.user.email if obj.user else request.user.email
        super().save_model(request, obj, form, change)
