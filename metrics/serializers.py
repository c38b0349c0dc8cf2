from rest_framework import serializers

from metrics.models import Metric


class MetricArgOut(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    default = serializers.JSONField(allow_null=True)
    required = serializers.BooleanField()
    description = serializers.CharField()


class MetricOut(serializers.ModelSerializer):
    args = MetricArgOut(many=True, read_only=True)

    class Meta:
        model = Metric
        fields = ["id", "shortname", "name", "category", "description", "is_active", "default_threshold", "args"]
