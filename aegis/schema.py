"""OpenAPI: every operation documents the errors it can answer with, all in the one error shape."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorOut(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Problems by field, when the request had field problems.",
    )


def error_responses(descriptions: dict[int, str]) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(response=ErrorOut, description=text) for code, text in descriptions.items()}


DEFAULT_ERRORS = {
    401: "Missing, malformed, unknown, revoked or expired API key.",
    404: "Not found, or not visible to you.",
    422: "The request is malformed: a missing or wrongly typed field, a bad path or query parameter.",
}


class AegisAutoSchema(AutoSchema):
    """Adds the errors every operation can produce (401; 404 and 422 where a path id or input exists)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        defaults = {401}
        if "{" in self.path:
            defaults |= {404, 422}
        takes_input = self.method in ("POST", "PUT", "PATCH") or self.get_override_parameters()
        if takes_input or getattr(self.view, "pagination_class", None):
            defaults.add(422)
        for code in sorted(defaults):
            if str(code) not in responses:
                error = OpenApiResponse(response=ErrorOut, description=DEFAULT_ERRORS[code])
                responses[str(code)] = self._get_response_for_code(error, str(code), direction=direction)
        return responses
