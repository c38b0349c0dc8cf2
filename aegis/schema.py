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


ERROR_DESCRIPTIONS = {
    400: "The request breaks a rule; `detail` says which.",
    401: "Missing, malformed, unknown, revoked or expired API key.",
    402: "Insufficient balance: nothing was created.",
    403: "Visible to you, but this action is not yours to take.",
    404: "Not found, or not visible to you.",
    413: "The upload is larger than MAX_UPLOAD_BYTES.",
    415: "The body is not of the accepted media type.",
    422: "The request is malformed: a missing or wrongly typed field, a bad path or query parameter.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI entries for an operation's error statuses, all with the one error body."""
    return {code: OpenApiResponse(response=ErrorOut, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class AegisAutoSchema(AutoSchema):
    """Adds the errors every operation can produce: 401; 404 and 422 for a path id; 415 and 422 for a body."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        defaults = {401}
        if "{" in self.path:
            defaults |= {404, 422}
        has_body = self.method in ("POST", "PUT", "PATCH")
        if has_body:
            defaults |= {415, 422}
        if self.get_override_parameters() or getattr(self.view, "pagination_class", None):
            defaults.add(422)
        for code, error in errors(*sorted(defaults)).items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(error, str(code), direction=direction)
        return responses
