"""Request shapes (validated here: a problem is a 422) and response shapes (for the OpenAPI document).

Responses themselves are built in `representation.py`; `test_representation` holds the two together.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserRefOut
from aegis.fields import NullableIntegerField, StrictCharField, name_field
from datasets.models import RECORD_FIELDS, Dataset, DatasetType
from runs.serializers import EvaluationOut, RunSummaryOut


class DatasetCreateInput(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text="The CSV file: UTF-8 (with or without BOM) or UTF-16 with BOM."
    )
    selected_metrics = StrictCharField(
        trim_whitespace=False,
        help_text='JSON: {"<metric id>": {"threshold": 0-100, "metric_args": object | null}}.',
    )
    column_mappings = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text='JSON: {"<record field>": "<CSV column name>"}, or null.',
    )
    name = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Empty, null or left out: the file name without .csv. Trimmed; 1-255 characters, no control "
        "characters; unique in your account (or in the org of an org-shared collection).",
    )
    data_collection_id = NullableIntegerField(required=False, allow_null=True, min_value=1)


class DatasetTypeOut(serializers.ModelSerializer):
    class Meta:
        model = DatasetType
        fields = ["id", "name", "label", "description"]


METRIC_ENTRY = {
    "type": "object",
    "required": ["threshold"],
    "properties": {
        "threshold": {"type": "integer", "minimum": 0, "maximum": 100},
        "metric_args": {"type": "object", "nullable": True},
    },
}


@extend_schema_field(
    {"type": "object", "additionalProperties": METRIC_ENTRY, "example": {"1": {"threshold": 70, "metric_args": None}}}
)
class SelectedMetricsField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {
            "oneOf": [
                METRIC_ENTRY,
                {"type": "integer", "minimum": 0, "maximum": 100, "description": "The legacy shorthand: a threshold."},
            ]
        },
        "example": {"1": {"threshold": 70, "metric_args": None}},
    }
)
class SelectedMetricsInputField(serializers.JSONField):
    """Keys are metric ids; checked by the service (a 400, as the spec names), including an empty object."""


@extend_schema_field(
    {
        "type": "object",
        "properties": {field: {"type": "string", "minLength": 1, "pattern": r"\S"} for field in RECORD_FIELDS},
        "additionalProperties": False,
    }
)
class ColumnMappingsField(serializers.JSONField):
    """{record field: CSV column name}, checked by the service (a 400, as the spec names)."""


class DatasetUpdateInput(serializers.Serializer):
    """PUT /datasets/{id}: every field is optional and only the sent ones apply."""

    name = name_field(required=False)
    selected_metrics = SelectedMetricsInputField(
        required=False, help_text='Replaces the metrics; the legacy shorthand {"1": 70} is accepted too.'
    )
    column_mappings = ColumnMappingsField(
        required=False,
        allow_null=True,
        help_text='{"<record field>": "<CSV column name>"} or null. Stored as metadata: records are not re-read.',
    )
    data_collection_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="null takes the dataset out of its collection."
    )
    org_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Your organization shares the dataset; null unshares."
    )


class DatasetSummaryOut(serializers.ModelSerializer):
    user = UserRefOut(allow_null=True)
    selected_metrics = SelectedMetricsField()
    structure = serializers.ListField(child=StrictCharField())
    column_mappings = serializers.DictField(child=StrictCharField(), allow_null=True)
    dataset_type = DatasetTypeOut()

    class Meta:
        model = Dataset
        fields = [
            "id",
            "user",
            "dataset_type_id",
            "author_email",
            "name",
            "selected_metrics",
            "structure",
            "column_mappings",
            "data_collection_id",
            "org_id",
            "created_at",
            "updated_at",
            "dataset_type",
        ]


class RecordOut(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField(allow_null=True)
    dataset_id = serializers.IntegerField()
    prompt = StrictCharField(allow_null=True)
    input = StrictCharField(allow_null=True)
    context = StrictCharField(allow_null=True)
    output = StrictCharField(allow_null=True)
    golden_answer = StrictCharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(allow_null=True)


class DatasetOut(DatasetSummaryOut):
    # Not required: a client sending `Prefer: return=minimal` gets neither `records` nor `evaluations`.
    records = RecordOut(many=True, required=False, help_text="Left out with `Prefer: return=minimal`.")
    record_count = serializers.IntegerField(required=False, help_text="Only with `Prefer: return=minimal`.")
    runs = RunSummaryOut(many=True, help_text="Runs on this dataset that you can see.")
    evaluations = EvaluationOut(
        many=True, required=False, help_text="Evaluations of those runs; left out with `Prefer: return=minimal`."
    )

    class Meta(DatasetSummaryOut.Meta):
        fields = [*DatasetSummaryOut.Meta.fields, "records", "record_count", "runs", "evaluations"]


class DatasetPartialOut(serializers.ModelSerializer):
    user = UserRefOut(allow_null=True)

    class Meta:
        model = Dataset
        fields = ["id", "name", "user", "org_id", "author_email", "created_at", "updated_at"]
