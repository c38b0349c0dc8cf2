from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A JSON number as declared: an integer bound stays 1, not 1.0."""

    def to_representation(self, value):
        return value


class MetricArgOut(serializers.Serializer):
    """One declared argument (metrics.registry.Arg.as_json); the optional keys appear only when declared."""

    name = serializers.CharField()
    type = serializers.CharField()
    default = serializers.JSONField(allow_null=True)
    required = serializers.BooleanField()
    description = serializers.CharField(allow_blank=True)
    choices = serializers.ListField(child=serializers.JSONField(), required=False, help_text="The allowed values.")
    item_type = serializers.CharField(required=False, help_text="The type of each item of a list argument.")
    minimum = NumberField(required=False, help_text="The smallest allowed value.")


class MetricOut(serializers.Serializer):
    id = serializers.IntegerField()
    shortname = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    is_active = serializers.BooleanField(
        help_text="Usable now with the default model: switched on, and for an LLM-judged metric its model configured."
    )
    inactive_reason = serializers.CharField(
        allow_null=True, help_text="Why the metric is inactive and what to set to enable it; null when active."
    )
    default_threshold = serializers.IntegerField()
    args = MetricArgOut(many=True)
