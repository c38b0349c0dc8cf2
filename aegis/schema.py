"""OpenAPI: every operation documents the errors it can answer with, all in the one error shape, and every header.

The post-processing hook below makes the document right for the docs pages and for generated clients: the two body
shapes of `Prefer: return=minimal`, multipart fields a form can leave empty, and `<...>` shown as text.
"""

import copy
import re

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
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


WWW_AUTHENTICATE = OpenApiParameter(
    "WWW-Authenticate",
    {"type": "string", "enum": ['Bearer realm="api"']},
    OpenApiParameter.HEADER,
    response=[401],
    description="The scheme to authenticate with: an API key as a Bearer token.",
)
SEE_OTHER_LOCATION = OpenApiParameter(
    "Location",
    {"type": "string", "format": "uri-reference"},
    OpenApiParameter.HEADER,
    response=[303],
    description="Where the representation asked for is.",
)
# On the operations that take `Prefer` (aegis.prefer).
PREFER_HEADERS = (
    OpenApiParameter(
        "Preference-Applied",
        {"type": "string", "enum": ["return=minimal"]},
        OpenApiParameter.HEADER,
        response=[200, 201],
        description="Present when the body is the minimal one that `Prefer: return=minimal` asked for.",
    ),
    OpenApiParameter(
        "Vary",
        str,
        OpenApiParameter.HEADER,
        response=[200, 201],
        description="Names `Prefer`: the body depends on it.",
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

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # DRF trims a string before it refuses a blank one, so "\f" is as blank as "": the request must hold a
        # character that is not whitespace.
        trims = isinstance(field, serializers.CharField) and field.trim_whitespace and not field.allow_blank
        if direction == "request" and trims and schema.get("type") == "string" and "pattern" not in schema:
            schema["pattern"] = r"\S"
        return schema

    def _is_create(self) -> bool:
        return getattr(getattr(self.view, self.method.lower(), None), IS_CREATE, False)

    def _added_parameters(self) -> tuple[OpenApiParameter, ...]:
        return (RETRY_AFTER, *CREATE_HEADERS) if self._is_create() else (RETRY_AFTER,)

    def get_override_parameters(self):
        return [*super().get_override_parameters(), *self._added_parameters()]

    def _get_response_headers_for_code(self, status_code, direction="response"):
        """Also WWW-Authenticate on a 401, and the headers of `Prefer` where an operation takes it. (Parameters of
        `extend_schema` are added by a subclass around this one, so they are seen here, not in
        get_override_parameters.)"""
        headers = super()._get_response_headers_for_code(status_code, direction)
        declared = {p.name for p in self.get_override_parameters() if isinstance(p, OpenApiParameter)}
        extra = [WWW_AUTHENTICATE, SEE_OTHER_LOCATION, *(PREFER_HEADERS if "Prefer" in declared else ())]
        for parameter in extra:
            if parameter.name in declared or str(status_code) not in {str(code) for code in parameter.response}:
                continue
            schema = parameter.type if isinstance(parameter.type, dict) else build_basic_type(parameter.type)
            headers[parameter.name] = {"schema": schema, "description": parameter.description}
        return headers

    def _map_basic_serializer(self, serializer, direction):
        """In a response every field is present (possibly null) unless its serializer declares it `required=False`:
        a model field that may be null or blank makes DRF mark it optional, though the answer always carries it."""
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and schema.get("properties"):
            declared = getattr(serializer, "_declared_fields", {})
            optional = {name for name, field in declared.items() if not field.required and not field.read_only}
            schema["required"] = [name for name in schema["properties"] if name not in optional]
        return schema

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


# `Prefer: return=minimal` (aegis.prefer): the fields a minimal body leaves out and those only it carries, by the
# component of the full body. Operations that take `Prefer` answer `anyOf` the full and the minimal shape, each with
# its own fields required, so a generated client reads either.
MINIMAL_BODIES = {
    "DatasetOut": {"left_out": ("records", "evaluations"), "only_minimal": ("record_count",)},
    "RunOut": {"left_out": ("evaluations",), "only_minimal": ()},
}

# Multipart fields a form may leave empty, and the example a docs page fills in for the required ones. Swagger UI
# pre-fills each form field with its example (else a sample such as "string"), so optional fields get an empty one.
FORM_EXAMPLES = {"selected_metrics": '{"1": {"threshold": 70}}'}

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)


def _shape(component: dict, *, drop: tuple[str, ...], require: tuple[str, ...]) -> dict:
    shape = copy.deepcopy(component)
    shape["properties"] = {name: value for name, value in shape["properties"].items() if name not in drop}
    required = [name for name in shape.get("required", []) if name not in drop]
    shape["required"] = required + [name for name in require if name not in required]
    return shape


def _minimal_bodies(result: dict) -> None:
    schemas = result["components"]["schemas"]
    for name, fields in MINIMAL_BODIES.items():
        if name not in schemas:
            continue
        full, minimal = f"{name[: -len('Out')]}FullOut", f"{name[: -len('Out')]}MinimalOut"
        schemas[full] = _shape(schemas[name], drop=fields["only_minimal"], require=fields["left_out"])
        schemas[full]["description"] = "The whole representation (no `Prefer: return=minimal`)."
        schemas[minimal] = _shape(schemas[name], drop=fields["left_out"], require=fields["only_minimal"])
        schemas[minimal]["description"] = "The body answered to `Prefer: return=minimal`."
        either = {"anyOf": [{"$ref": f"#/components/schemas/{full}"}, {"$ref": f"#/components/schemas/{minimal}"}]}
        for operation in _operations(result):
            if not any(p.get("in") == "header" and p.get("name") == "Prefer" for p in operation.get("parameters", [])):
                continue
            for response in operation["responses"].values():
                body = response.get("content", {}).get("application/json")
                if body and body["schema"] == {"$ref": f"#/components/schemas/{name}"}:
                    body["schema"] = copy.deepcopy(either)
        if f'"#/components/schemas/{name}"' not in str(result).replace("'", '"'):
            del schemas[name]  # every use of it is one of the two shapes now


def _form_fields(result: dict) -> None:
    """Optional multipart fields are not nullable (a generated client then leaves them out instead of sending the
    text "None") and have an empty example (a docs page then leaves them empty, and empty fields are not sent)."""
    schemas = result["components"]["schemas"]
    forms = set()
    for operation in _operations(result):
        body = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
        if body and "$ref" in body["schema"]:
            forms.add(body["schema"]["$ref"].rsplit("/", 1)[-1])
    for name in forms:
        component = schemas[name]
        required = set(component.get("required", []))
        for field, schema in component["properties"].items():
            if field in FORM_EXAMPLES:
                schema["example"] = FORM_EXAMPLES[field]
            if field in required or schema.get("format") == "binary":
                continue
            schema.pop("nullable", None)
            if "oneOf" in schema:
                schema["oneOf"] = [
                    choice for choice in schema["oneOf"] if not choice.get("$ref", "").endswith("/NullEnum")
                ]
            if "default" not in schema:
                schema["example"] = ""


def _escape_angle_brackets(text: str) -> str:
    """`<metric id>` outside code spans, as text: Markdown renderers would take it for an HTML tag and drop it."""
    parts, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(text[last : match.start()].replace("<", "&lt;").replace(">", "&gt;"))
        parts.append(match.group(0))
        last = match.end()
    parts.append(text[last:].replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(parts)


def _descriptions(node) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                node[key] = _escape_angle_brackets(value)
            else:
                _descriptions(value)
    elif isinstance(node, list):
        for item in node:
            _descriptions(item)


def _operations(result: dict):
    for path_item in result["paths"].values():
        for method, operation in path_item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield operation


def postprocess_for_clients(result, generator, request, public):
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    _minimal_bodies(result)
    _form_fields(result)
    _descriptions(result)
    return result
