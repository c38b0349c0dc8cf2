"""OpenAPI: every operation documents the errors it can answer with, all in the one error shape."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from aegis.idempotency import HEADER as IDEMPOTENCY_HEADER
from aegis.idempotency import IS_CREATE, REPLAYED_HEADER


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
    409: "A request with this `Idempotency-Key` is still running (retry after `Retry-After` seconds), or it finished "
    "but its answer was too large to keep (`detail` says so; GET the `Location`).",
    413: "Too large: the upload (MAX_UPLOAD_BYTES), the JSON body (MAX_JSON_BODY_BYTES), a JSON part "
    "(MAX_JSON_PART_BYTES) or the rows of a custom run (MAX_CUSTOM_RUN_ROWS).",
    415: "The body is not of the accepted media type.",
    422: "The request is malformed: a missing or wrongly typed field, a bad path or query parameter (empty counts "
    "as bad, but for `search`), text the database cannot store (U+0000), JSON nested deeper than MAX_JSON_DEPTH.",
    429: "Too many requests with this API key (THROTTLE_RATE; THROTTLE_CREATE_RATE for creates); retry after "
    "`Retry-After` seconds.",
}
IDEMPOTENCY_422 = " Also: a malformed `Idempotency-Key`, or one already used with a different request."

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    {"type": "integer", "minimum": 1},
    OpenApiParameter.HEADER,
    response=[409, 429],
    description="Seconds to wait before trying again.",
)
# On the creates (the handlers aegis.idempotency marks).
CREATE_HEADERS = (
    OpenApiParameter(
        IDEMPOTENCY_HEADER,
        {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
        OpenApiParameter.HEADER,
        description="Any 1-255 printable ASCII characters, new for each new request (a UUID will do). A retry with "
        "the same key and the same request gets the first answer back, marked `Idempotent-Replayed`, and creates "
        "nothing. Keys are yours alone and kept 24 hours.",
    ),
    OpenApiParameter(
        REPLAYED_HEADER,
        {"type": "string", "enum": ["true"]},
        OpenApiParameter.HEADER,
        response=[200, 201, 400, 404, 409, 415, 422],
        description="Present when this is the kept answer of an earlier request with the same `Idempotency-Key`.",
    ),
    OpenApiParameter(
        "Location",
        {"type": "string", "format": "uri-reference"},
        OpenApiParameter.HEADER,
        response=[201, 409],
        description="The created object (for /evaluate, its run); on a 409, the one the first request made.",
    ),
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI entries for an operation's error statuses, all with the one error body."""
    return {code: OpenApiResponse(response=ErrorOut, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class AegisAutoSchema(AutoSchema):
    """Adds the errors every operation can produce: 401; 404 and 422 for a path id; 413, 415 and 422 for a body.

    Also states the bounds the server enforces that drf-spectacular does not read: a list that may not be empty
    (`allow_empty=False`), and those a service checks itself, declared with `aegis.fields.enforced`.
    """

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if schema.get("type") == "array" and getattr(field, "allow_empty", True) is False:
            schema["minItems"] = max(schema.get("minItems", 0), 1)
        schema.update(getattr(field, "enforced_schema", {}))

    def _is_create(self) -> bool:
        return getattr(getattr(self.view, self.method.lower(), None), IS_CREATE, False)

    def _added_parameters(self) -> tuple[OpenApiParameter, ...]:
        return (RETRY_AFTER, *CREATE_HEADERS) if self._is_create() else (RETRY_AFTER,)

    def get_override_parameters(self):
        return [*super().get_override_parameters(), *self._added_parameters()]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        defaults = {401, 429}
        if self._is_create():
            defaults.add(409)
        if "{" in self.path:
            defaults |= {404, 422}
        has_body = self.method in ("POST", "PUT", "PATCH")
        if has_body:
            defaults |= {413, 415, 422}
        added = self._added_parameters()
        own_parameters = [parameter for parameter in self.get_override_parameters() if parameter not in added]
        if own_parameters or getattr(self.view, "pagination_class", None):
            defaults.add(422)
        for code, error in errors(*sorted(defaults)).items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(error, str(code), direction=direction)
        if self._is_create():
            responses["422"]["description"] += IDEMPOTENCY_422
        return responses
