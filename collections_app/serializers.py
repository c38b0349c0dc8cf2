"""Collection requests, validated here, and the shape of the answers for the OpenAPI document (docs only: the
answers are built by collections_app.representation, and a test holds the two together)."""

from rest_framework import serializers

from accounts.serializers import UserRefOut
from aegis.fields import StrictCharField, name_field
from collections_app.models import DataCollection
from runs.serializers import RunSummaryOut


class DataCollectionCreateInput(serializers.Serializer):
    name = name_field(trim_whitespace=True)
    dataset_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        help_text="Datasets to put in the collection; their sharing decides the collection's.",
    )


class DataCollectionUpdateInput(serializers.Serializer):
    """PUT /data-collections/{id}: every field is optional and only the sent ones apply."""

    name = name_field(trim_whitespace=True, required=False)
    dataset_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Replaces the whole set of datasets; [] empties the collection.",
    )
    org_id = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="Your organization shares it; null unshares it."
    )


class CollectionDatasetOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = StrictCharField()
    user = UserRefOut(allow_null=True)
    org_id = serializers.IntegerField(allow_null=True)
    author_email = serializers.EmailField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(allow_null=True)


class DataCollectionOut(serializers.ModelSerializer):
    user = UserRefOut(allow_null=True)
    datasets = CollectionDatasetOut(many=True, source="visible_datasets")
    runs = RunSummaryOut(many=True, read_only=True)

    class Meta:
        model = DataCollection
        fields = ["id", "user", "name", "org_id", "author_email", "datasets", "runs", "created_at", "updated_at"]
