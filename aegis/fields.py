from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A string field that refuses other JSON types: `{"name": 0}` is a 422, not the name "0"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NullableIntegerField(serializers.IntegerField):
    """An optional integer form field where "null" (what a browser's FormData sends for null) means null."""

    def validate_empty_values(self, data):
        if data == "null":
            return (True, None)
        return super().validate_empty_values(data)
