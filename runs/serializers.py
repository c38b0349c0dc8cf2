"""Input shapes (a problem is a 422) and output shapes (for the OpenAPI document) of the runs API."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aegis.fields import StrictCharField
from metrics.models import LlmModel
from runs.models import ALIAS_MAX_LENGTH


def record_text():
    # Stored and scored exactly as sent: whitespace is data for metrics such as exact_match.
    return StrictCharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False, default=None)


def threshold_field():
    return serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True, default=None)


def model_slug_field():
    return StrictCharField(max_length=64, required=False, allow_null=True, default=None)


def alias_field():
    return StrictCharField(max_length=ALIAS_MAX_LENGTH, required=False, allow_null=True, default=None)


class RecordDataInput(serializers.Serializer):
    prompt = record_text()
    input = record_text()
    context = record_text()
    output = record_text()
    golden_answer = record_text()


class RunDatasetCreateInput(serializers.Serializer):
    dataset_id = serializers.IntegerField(min_value=1)
    threshold = threshold_field()
    model_slug = model_slug_field()
    metric_args = serializers.DictField(
        child=serializers.JSONField(allow_null=True), required=False, allow_null=True, default=None
    )
    is_blocking = serializers.BooleanField(required=False, default=False)
    alias = alias_field()


class CustomMetricObjectInput(serializers.Serializer):
    metric = StrictCharField(max_length=64)
    metric_args = serializers.JSONField(required=False, allow_null=True, default=None)
    threshold = threshold_field()
    model_slug = model_slug_field()


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "A metric shortname."},
            {
                "type": "object",
                "required": ["metric"],
                "properties": {
                    "metric": {"type": "string", "maxLength": 64},
                    "metric_args": {"type": "object", "nullable": True},
                    "threshold": {"type": "integer", "minimum": 0, "maximum": 100, "nullable": True},
                    "model_slug": {"type": "string", "maxLength": 64, "nullable": True},
                },
            },
        ]
    }
)
class MetricItemField(serializers.Field):
    """A metric shortname, or an object naming the metric with its own args, threshold and model."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = {"metric": data}
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be a metric shortname or an object with a 'metric' field.")
        item = CustomMetricObjectInput(data=data)
        if not item.is_valid():
            raise serializers.ValidationError(item.errors)
        return dict(item.validated_data)

    def to_representation(self, value):
        return value


class CustomEvaluationBlockInput(serializers.Serializer):
    metrics = serializers.ListField(child=MetricItemField())
    threshold = threshold_field()
    model_slug = model_slug_field()
    data = RecordDataInput(many=True, allow_empty=False)


class RunCustomCreateInput(serializers.Serializer):
    threshold = threshold_field()
    model_slug = model_slug_field()
    is_blocking = serializers.BooleanField(required=False, default=False)
    data_collection_id = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    alias = alias_field()
    evaluations = CustomEvaluationBlockInput(many=True, allow_empty=True)


class EvaluateInput(RecordDataInput):
    metric_shortname = StrictCharField(max_length=64)
    model_slug = model_slug_field()
    threshold = threshold_field()
    metric_args = serializers.JSONField(required=False, allow_null=True, default=None)


class RunUpdateInput(serializers.Serializer):
    alias = StrictCharField(max_length=ALIAS_MAX_LENGTH, required=False)
    org_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    data_collection_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)


# Output shapes. The views build these as plain dicts (streamed with orjson); the classes document them.


class EvaluationRecordOut(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    prompt = StrictCharField(allow_null=True)
    input = StrictCharField(allow_null=True)
    context = StrictCharField(allow_null=True)
    output = StrictCharField(allow_null=True)
    golden_answer = StrictCharField(allow_null=True)


class EvaluationOut(serializers.Serializer):
    id = serializers.IntegerField()
    run_id = serializers.IntegerField()
    record_index = serializers.IntegerField()
    metric = StrictCharField(help_text="Metric shortname.")
    record = EvaluationRecordOut(help_text="String fields cut to 100 characters.")
    result = serializers.FloatField(allow_null=True)
    threshold = serializers.IntegerField()
    explanation = StrictCharField(allow_null=True)
    model_slug = StrictCharField(allow_null=True)
    metric_args = serializers.JSONField(allow_null=True, help_text="The effective arguments used.")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    evaluation_cost = StrictCharField(allow_null=True)
    is_success = serializers.BooleanField(allow_null=True)
    is_gte_threshold = serializers.BooleanField(allow_null=True)
    eval_metadata = serializers.JSONField(
        allow_null=True, help_text="What a judged metric judged (items, verdicts, model, tokens); null if structural."
    )


class RunOut(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.EmailField(allow_null=True, help_text="Owner's email; null for org-only runs.")
    author_email = serializers.EmailField()
    run_type = serializers.ChoiceField(choices=["Dataset", "Custom"])
    run_source = StrictCharField()
    dataset = StrictCharField(allow_null=True, help_text="Dataset name.")
    data_collection = StrictCharField(allow_null=True, help_text="Collection name.")
    org_id = serializers.IntegerField(allow_null=True)
    number_of_metrics = serializers.IntegerField()
    result = serializers.FloatField(allow_null=True)
    threshold = serializers.IntegerField(allow_null=True)
    model_slug = StrictCharField(allow_null=True)
    alias = StrictCharField(allow_null=True)
    aggregate_results = serializers.DictField(child=serializers.FloatField(), allow_null=True)
    total_cost = StrictCharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    is_gte_threshold = serializers.BooleanField(allow_null=True)
    evaluations = EvaluationOut(many=True)


class EvaluateOut(serializers.Serializer):
    id = serializers.IntegerField()
    run_id = serializers.IntegerField()
    model_slug = StrictCharField(allow_null=True)
    metric_args = serializers.JSONField(allow_null=True)
    is_success = serializers.BooleanField(allow_null=True)
    is_gte_threshold = serializers.BooleanField(allow_null=True)
    threshold = serializers.IntegerField()
    prompt = StrictCharField(allow_null=True)
    input = StrictCharField(allow_null=True)
    context = StrictCharField(allow_null=True)
    output = StrictCharField(allow_null=True)
    golden_answer = StrictCharField(allow_null=True)
    started_at = serializers.DateTimeField()
    result = serializers.FloatField(allow_null=True)
    explanation = StrictCharField(allow_null=True)
    evaluation_cost = StrictCharField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    metric_shortname = StrictCharField()
    eval_metadata = serializers.JSONField(allow_null=True)


class PlainDecimalField(serializers.DecimalField):
    """A decimal as a string in plain notation without trailing zeros ("2.5", "10", "0"), never "1E+1"."""

    def to_representation(self, value):
        return format(Decimal(value).normalize(), "f")


def price_field(which: str) -> PlainDecimalField:
    return PlainDecimalField(
        max_digits=12, decimal_places=6, read_only=True, help_text=f"USD per million {which} tokens (list price)."
    )


class LlmModelOut(serializers.ModelSerializer):
    """A catalog model. How the judge reaches it (server, key variable) is for staff only, never in the API."""

    input_cost_per_million_tokens = price_field("input")
    output_cost_per_million_tokens = price_field("output")

    class Meta:
        model = LlmModel
        fields = [
            "id",
            "slug",
            "name",
            "supplier",
            "provider",
            "input_cost_per_million_tokens",
            "output_cost_per_million_tokens",
        ]
        read_only_fields = fields


class RunSummaryOut(serializers.Serializer):
    """A run where it is nested (in a dataset or a collection)."""

    id = serializers.IntegerField()
    user = serializers.EmailField(allow_null=True)
    author_email = serializers.EmailField()
    alias = StrictCharField(allow_null=True)
    run_type = StrictCharField()
    dataset_id = serializers.IntegerField(allow_null=True)
    data_collection_id = serializers.IntegerField(allow_null=True)
    org_id = serializers.IntegerField(allow_null=True)
    result = serializers.FloatField(allow_null=True)
    threshold = serializers.IntegerField(allow_null=True)
    model_slug = StrictCharField(allow_null=True)
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
