"""Input shapes (a problem is a 422) and output shapes (for the OpenAPI document) of the runs API."""

from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aegis.exceptions import PayloadTooLarge
from aegis.fields import StrictCharField, enforced
from metrics.models import LlmModel
from runs.models import ALIAS_MAX_LENGTH


def record_text():
    # Stored and scored exactly as sent: whitespace is data for metrics such as exact_match.
    return StrictCharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False, default=None)


def threshold_field():
    return serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True, default=None)


def model_slug_field():
    return StrictCharField(
        max_length=64,
        required=False,
        allow_null=True,
        default=None,
        help_text="A slug of GET /models; null or left out: inherited, else the platform default. "
        "An empty string is refused (422).",
    )


@extend_schema_field({"type": "object"})
class MetricArgsField(serializers.JSONField):
    """{arg: value}: checked against the metric's declared arguments by the planner (a 400)."""


def metric_args_field():
    return MetricArgsField(required=False, allow_null=True, default=None)


@extend_schema_field({"type": "object", "additionalProperties": {"type": "object", "nullable": True}})
class MetricArgsByIdField(serializers.DictField):
    """{"<metric id>": {arg: value} | null}: the run's arguments laid over each selected metric's own."""


def _too_many_rows(count: int, limit: int) -> PayloadTooLarge:
    message = f"has {count} rows in all; at most {limit} are accepted (MAX_CUSTOM_RUN_ROWS)."
    return PayloadTooLarge(f"evaluations {message}", errors={"evaluations": [message]})


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
    metric_args = MetricArgsByIdField(
        child=serializers.JSONField(allow_null=True), required=False, allow_null=True, default=None
    )
    is_blocking = serializers.BooleanField(required=False, default=False)
    alias = alias_field()


class CustomMetricObjectInput(serializers.Serializer):
    metric = StrictCharField(max_length=64)
    metric_args = metric_args_field()
    threshold = threshold_field()
    model_slug = model_slug_field()


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S", "description": "A metric shortname."},
            {
                "type": "object",
                "required": ["metric"],
                "properties": {
                    "metric": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"},
                    "metric_args": {"type": "object", "nullable": True},
                    "threshold": {"type": "integer", "minimum": 0, "maximum": 100, "nullable": True},
                    "model_slug": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 64,
                        "pattern": r"\S",
                        "nullable": True,
                    },
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
    # A block without metrics is refused by the planner with the spec's 404 ("no metrics resolved").
    metrics = enforced(serializers.ListField(child=MetricItemField()), minItems=1)
    threshold = threshold_field()
    model_slug = model_slug_field()
    data = RecordDataInput(many=True, allow_empty=False)


class RunCustomCreateInput(serializers.Serializer):
    threshold = threshold_field()
    model_slug = model_slug_field()
    is_blocking = serializers.BooleanField(required=False, default=False)
    data_collection_id = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    alias = alias_field()
    # Empty is the service's 400, as the spec names it; the schema states it all the same.
    evaluations = enforced(
        CustomEvaluationBlockInput(
            many=True, allow_empty=True, help_text="At most MAX_CUSTOM_RUN_ROWS rows of `data` in all blocks together."
        ),
        minItems=1,
    )

    def to_internal_value(self, data):
        # Counted on the raw body, before ten thousand rows are validated one field at a time.
        blocks = data.get("evaluations") if isinstance(data, dict) else None
        if isinstance(blocks, list):
            rows = [block.get("data") for block in blocks if isinstance(block, dict)]
            count = sum(len(data_rows) for data_rows in rows if isinstance(data_rows, list))
            if count > settings.MAX_CUSTOM_RUN_ROWS:
                raise _too_many_rows(count, settings.MAX_CUSTOM_RUN_ROWS)
        return super().to_internal_value(data)


class EvaluateInput(RecordDataInput):
    metric_shortname = StrictCharField(max_length=64)
    model_slug = model_slug_field()
    threshold = threshold_field()
    metric_args = metric_args_field()


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


class RunProgressOut(serializers.Serializer):
    total = serializers.IntegerField(help_text="Evaluations in the run.")
    done = serializers.IntegerField(help_text="Finished evaluations, scored or failed.")
    failed = serializers.IntegerField(help_text="Finished evaluations with is_success false.")


class RunOut(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.EmailField(allow_null=True, help_text="Owner's email; null for org-only runs.")
    author_email = serializers.EmailField()
    run_type = serializers.ChoiceField(choices=["Dataset", "Custom"])
    run_source = StrictCharField()
    dataset = StrictCharField(allow_null=True, help_text="Dataset name.")
    dataset_version = serializers.IntegerField(
        allow_null=True, help_text="The dataset version the run scored; null for custom runs."
    )
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
    status = serializers.ChoiceField(choices=["pending", "running", "finished", "cancelled"])
    progress = RunProgressOut()
    evaluations = EvaluationOut(many=True, required=False, help_text="Left out with `Prefer: return=minimal`.")


class RunListItemOut(RunOut):
    """A run without its evaluations: the items of GET /runs, and the answer to cancel and retry."""

    evaluations = None


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


class BaselineDeltaOut(serializers.Serializer):
    baseline_run_id = serializers.IntegerField()
    metrics = serializers.DictField(
        child=serializers.FloatField(),
        help_text="{shortname: mean delta} for the metrics both runs have a mean for (aggregate_results); the paired "
        "delta with its interval is GET /runs/compare.",
    )


class RunSummaryOut(serializers.Serializer):
    """A run where it is nested (in a dataset or a collection)."""

    id = serializers.IntegerField()
    user = serializers.EmailField(allow_null=True)
    author_email = serializers.EmailField()
    alias = StrictCharField(allow_null=True)
    run_type = StrictCharField()
    dataset_id = serializers.IntegerField(allow_null=True)
    dataset_version = serializers.IntegerField(allow_null=True, help_text="The dataset version the run scored.")
    data_collection_id = serializers.IntegerField(allow_null=True)
    org_id = serializers.IntegerField(allow_null=True)
    result = serializers.FloatField(allow_null=True)
    threshold = serializers.IntegerField(allow_null=True)
    model_slug = StrictCharField(allow_null=True)
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=["pending", "running", "finished", "cancelled"])
    progress = RunProgressOut()
    baseline_mean_delta = BaselineDeltaOut(
        required=False,
        help_text="In GET /datasets/{id} when the dataset has a baseline run: this run's mean per metric minus the "
        "baseline's.",
    )
