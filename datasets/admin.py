from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import Organization
from aegis.admin_forms import ServiceForm, bound_to_request
from datasets.models import Dataset, DatasetType, Record
from datasets.services import dataset_create
from workspace.dataset_services import dataset_update


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    """Read-only and paginated: the way to browse a dataset of any size (linked from the dataset page)."""

    list_display = ("id", "dataset", "prompt_preview", "output_preview", "created_at")
    list_filter = (("dataset", admin.RelatedOnlyFieldListFilter),)
    list_per_page = 100
    show_full_result_count = False
    list_select_related = ("dataset",)
    readonly_fields = ("dataset", "user", "prompt", "input", "context", "output", "golden_answer", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # records belong to their dataset; deleting one would falsify its stored record_count

    @admin.display(description="prompt")
    def prompt_preview(self, record):
        return (record.prompt or "")[:80]

    @admin.display(description="output")
    def output_preview(self, record):
        return (record.output or "")[:80]


class OrgOnlyDatasetForm(ServiceForm):
    """Staff upload a CSV as an org-only dataset (no individual owner) through the API's own service."""

    org = forms.ModelChoiceField(queryset=Organization.objects.all(), label="Organization")
    file = forms.FileField(help_text="CSV with a header row: prompt, input, context, output, golden_answer.")
    selected_metrics_json = forms.CharField(
        label="Selected metrics", widget=forms.Textarea(attrs={"rows": 3}), initial='{"1": {"threshold": 70}}'
    )
    column_mappings_json = forms.CharField(label="Column mappings", required=False)
    dataset_name = forms.CharField(label="Name", required=False, help_text="Defaults to the file name.")

    class Meta:
        model = Dataset
        fields = ()

    def apply(self, cleaned):
        upload = cleaned["file"]
        self.created = dataset_create(
            user=None,
            org=cleaned["org"],
            author_email=self.request.user.email,
            file=upload,
            filename=upload.name,
            selected_metrics=cleaned["selected_metrics_json"],
            column_mappings=cleaned.get("column_mappings_json") or None,
            name=cleaned.get("dataset_name") or None,
        )


class DatasetRenameForm(ServiceForm):
    """The one editable field of a stored dataset, renamed by the API's update service (its name rule included)."""

    class Meta:
        model = Dataset
        fields = ("name",)

    def apply(self, cleaned):
        dataset_update(user=self.request.user, dataset=self.instance, changes={"name": cleaned["name"]})


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "user", "org", "dataset_type", "data_collection", "created_at")
    list_filter = ("dataset_type", "org")
    search_fields = ("name", "author_email", "user__email")
    readonly_fields = (
        "records_link", "user", "org", "author_email", "dataset_type", "selected_metrics", "structure",
        "column_mappings", "data_collection", "created_at", "updated_at",
    )  # fmt: skip
    list_select_related = ("user", "org", "dataset_type", "data_collection")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = bound_to_request(OrgOnlyDatasetForm, request)
            kwargs["fields"] = ("org", "file", "selected_metrics_json", "column_mappings_json", "dataset_name")
        else:
            kwargs["form"] = bound_to_request(DatasetRenameForm, request)
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("org", "file", "selected_metrics_json", "column_mappings_json", "dataset_name")
        return ("name", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    @admin.display(description="Records")
    def records_link(self, dataset):
        url = reverse("admin:datasets_record_changelist") + f"?dataset__id__exact={dataset.pk}"
        return format_html('<a href="{}">{} records</a>', url, dataset.records.count())

    def save_model(self, request, obj, form, change):
        if change:
            return  # the form's clean() renamed it through the service
        obj.pk = form.created.pk
        obj.refresh_from_db()
        messages.success(request, f"Created org-only dataset '{obj.name}' with {obj.records.count()} records.")

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)


@admin.register(DatasetType)
class DatasetTypeAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "label", "is_proprietary")
