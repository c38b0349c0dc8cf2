from rest_framework import serializers

from aegis.names import NAME_MAX_LENGTH


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


def enforced(field, **schema):
    """State in the OpenAPI document a bound the server enforces outside the serializer.

    For rules a service checks so that the answer has the status the spec names (an empty `evaluations` or name is
    a 400 there, not the serializer's 422): the document still says what is refused.
    """
    # On a subclass, not the instance: DRF rebuilds declared fields from their arguments for every serializer.
    base = type(field)
    field.__class__ = type(base.__name__, (base,), {"__module__": base.__module__, "enforced_schema": schema})
    return field


def name_field(**kwargs) -> StrictCharField:
    """A dataset or collection name. Blank passes the serializer so that the one name rule (a 400) refuses it."""
    kwargs.setdefault("help_text", "Trimmed; 1-255 characters, no control characters; unique in your account or org.")
    kwargs.setdefault("trim_whitespace", False)
    field = StrictCharField(allow_blank=True, **kwargs)
    # The pattern asks for one character that is not whitespace: a blank name is outside the schema too.
    return enforced(field, minLength=1, maxLength=NAME_MAX_LENGTH, pattern=r"\S")
