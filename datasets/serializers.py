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
        allow_empty_file=True,
        help_text="The table, told by its content (not its name): a CSV file in UTF-8 (with or without BOM) or "
        "UTF-16 with BOM; an Excel workbook (.xlsx, first sheet); or JSON Lines (one object per line, keys as "
        "headers). Headers match record fields after trimming, case-folding and reading spaces and hyphens as "
        "underscores (`Golden Answer` is golden_answer).",
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
    delimiter = serializers.ChoiceField(
        choices=[",", ";", "\t", "tab", "|"],
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The CSV's delimiter: `,` (the default), `;`, `|`, or a tab (a tab character or `tab`). "
        "Ignored for .xlsx and JSON Lines.",
    )
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: check the whole file and every part, store nothing, and answer 200 with every problem "
        "found (DatasetDryRunOut).",
    )


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
    baseline_run_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="A run on this dataset that you can see (else 400): the base of GET /runs/compare when none is "
        "sent, and what the dataset's run summaries measure their deltas against. null clears it.",
    )


class DatasetSummaryOut(serializers.ModelSerializer):
    user = UserRefOut(allow_null=True)
    selected_metrics = SelectedMetricsField()
    structure = serializers.ListField(child=StrictCharField())
    column_mappings = serializers.DictField(child=StrictCharField(), allow_null=True)
    dataset_type = DatasetTypeOut()
    baseline_run_id = serializers.IntegerField(
        allow_null=True, help_text="The dataset's baseline run (PUT baseline_run_id); null when none is set."
    )
    version = serializers.IntegerField(help_text="The version shown: the latest, or the one asked for with ?version=N.")

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
            "baseline_run_id",
            "version",
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


class DatasetVersionOut(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    record_count = serializers.IntegerField()
    author_email = serializers.EmailField(allow_blank=True)


class DatasetOut(DatasetSummaryOut):
    versions = DatasetVersionOut(many=True, help_text="Every version of the dataset, oldest first.")
    # Not required: a client sending `Prefer: return=minimal` gets neither `records` nor `evaluations`.
    records = RecordOut(many=True, required=False, help_text="Left out with `Prefer: return=minimal`.")
    record_count = serializers.IntegerField(required=False, help_text="Only with `Prefer: return=minimal`.")
    runs = RunSummaryOut(many=True, help_text="Runs on this dataset that you can see.")
    evaluations = EvaluationOut(
        many=True, required=False, help_text="Evaluations of those runs; left out with `Prefer: return=minimal`."
    )

    class Meta(DatasetSummaryOut.Meta):
        fields = [*DatasetSummaryOut.Meta.fields, "versions", "records", "record_count", "runs", "evaluations"]


class DatasetPartialOut(serializers.ModelSerializer):
    user = UserRefOut(allow_null=True)

    class Meta:
        model = Dataset
        fields = ["id", "name", "user", "org_id", "author_email", "created_at", "updated_at"]


class UploadProblemOut(serializers.Serializer):
    part = serializers.ChoiceField(
        choices=["file", "selected_metrics", "column_mappings", "data_collection_id", "name", "request"],
        help_text="The form part the problem is in.",
    )
    line = serializers.IntegerField(allow_null=True, help_text="The file's line (a sheet's row for .xlsx).")
    column = serializers.IntegerField(allow_null=True, help_text="The column, from 1, when one cell is at fault.")
    message = StrictCharField()


class DatasetDryRunOut(serializers.Serializer):
    """The 200 of POST /datasets with dry_run=true: what an upload would do, and everything that would stop it."""

    valid = serializers.BooleanField(help_text="true when the same request without dry_run would create the dataset.")
    format = serializers.ChoiceField(choices=["csv", "xlsx", "jsonl"], allow_null=True)
    encoding = serializers.ChoiceField(choices=["utf-8", "utf-16"], allow_null=True)
    delimiter = StrictCharField(allow_null=True, help_text="The CSV delimiter used; null for other formats.")
    row_count = serializers.IntegerField(help_text="Data rows in the file (blank lines aside).")
    headers = serializers.ListField(child=StrictCharField(allow_blank=True))
    structure = serializers.ListField(child=serializers.ChoiceField(choices=list(RECORD_FIELDS)))
    mapping = serializers.DictField(child=StrictCharField(), help_text="{record field: the header it is read from}.")
    ignored_columns = serializers.ListField(child=StrictCharField())
    name = StrictCharField(allow_blank=True)
    selected_metrics = SelectedMetricsField(allow_null=True, help_text="Normalized; null when it has problems.")
    problem_count = serializers.IntegerField()
    problems = UploadProblemOut(many=True, help_text="The first 1000 problems, in the order found.")
    problems_truncated = serializers.BooleanField()
