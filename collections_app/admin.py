from django import forms
from django.contrib import admin
from django.db import transaction

from aegis.admin_forms import ServiceForm, bound_to_request
from collections_app.models import DataCollection
from collections_app.services import collection_create_org_only
from datasets.models import Dataset
from workspace.collection_services import collection_add_org_datasets, collection_update


class OrgOnlyCollectionAddForm(ServiceForm):
    """A collection of an organization itself, with no individual owner."""

    class Meta:
        model = DataCollection
        fields = ("name", "org")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].required = True

    def apply(self, cleaned):
        self.created = collection_create_org_only(
            org_id=cleaned["org"].pk, name=cleaned["name"], author_email=self.request.user.email
        )
        # The model's own constraint checks, after clean(), must see the row just written as itself.
        self.instance = self.created


class CollectionChangeForm(ServiceForm):
    """Name and org through the API's update service (name rule, sharing cascade), on the owner's behalf; an
    org-only collection can also receive datasets shared with its organization."""

    add_datasets = forms.ModelMultipleChoiceField(
        queryset=Dataset.objects.none(),
        required=False,
        help_text="Datasets of this collection's organization that are in no collection yet.",
    )

    class Meta:
        model = DataCollection
        fields = ("name", "org")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        collection = self.instance
        if collection.user_id is None and collection.org_id is not None:
            self.fields["add_datasets"].queryset = Dataset.objects.filter(
                org_id=collection.org_id, data_collection=None, dataset_type__is_proprietary=False
            ).order_by("name")
        else:
            del self.fields["add_datasets"]

    def apply(self, cleaned):
        collection = self.instance
        org = cleaned.get("org")
        changes = {"name": cleaned["name"], "org_id": org.pk if org else None}
        # The owner's own rules apply (who may re-share, to which org); an org-only collection has no owner.
        acting = collection.user or self.request.user
        with transaction.atomic():
            collection_update(user=acting, collection=collection, changes=changes)
            if cleaned.get("add_datasets"):
                collection_add_org_datasets(
                    collection=collection, dataset_ids=[dataset.pk for dataset in cleaned["add_datasets"]]
                )


@admin.register(DataCollection)
class DataCollectionAdmin(admin.ModelAdmin):
    """Staff make org-only collections here (choose an organization) and edit any collection through the services."""

    list_display = ("id", "name", "user", "org", "created_at")
    list_filter = ("org",)
    search_fields = ("name", "user__email", "author_email")
    list_select_related = ("user", "org")

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = bound_to_request(OrgOnlyCollectionAddForm if obj is None else CollectionChangeForm, request)
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "org")
        fields = ("name", "org", "user", "author_email", "created_at", "updated_at")
        return (*fields, "add_datasets") if obj.user_id is None else fields

    def get_readonly_fields(self, request, obj=None):
        # No owner transfer: the update service has none, and a new owner would skip its name rule and cascades.
        return () if obj is None else ("user", "author_email", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.pk = form.created.pk
            obj.refresh_from_db()
        # Otherwise the form's clean() already wrote through the service.
