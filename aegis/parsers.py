"""The API's request parsers: every JSON body and every form is checked once here, before any view sees it.

A JSON body is read at most MAX_JSON_BODY_BYTES (413 beyond), decoded strictly (aegis.jsonparts: no duplicate keys,
nesting at most MAX_JSON_DEPTH, no text the database cannot store) and refused as a 422 naming the JSON path of the
offending value. Form text fields are held to the same storable-text rule.
"""

from django.conf import settings
from rest_framework import renderers
from rest_framework.parsers import BaseParser, get_encoding
from rest_framework.parsers import MultiPartParser as DrfMultiPartParser

# DRF imports this module while it builds APIView, which aegis.exceptions imports in turn: the modules that need
# aegis.exceptions are imported when a request is parsed, not here.


def _body_too_large(limit: int):
    from aegis.exceptions import PayloadTooLarge

    return PayloadTooLarge(f"The JSON body is larger than the limit of {limit} bytes (MAX_JSON_BODY_BYTES).")


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class StrictJSONParser(BaseParser):
    """application/json, read with a size bound and decoded by the one strict decoder.

    Not a subclass of DRF's JSONParser on purpose: DRF hands that class `request.body`, read whole before any
    check of ours could refuse it.
    """

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        from aegis.exceptions import RequestShapeError
        from aegis.jsonparts import JsonProblem, loads_strict

        parser_context = parser_context or {}
        limit = settings.MAX_JSON_BODY_BYTES
        request = parser_context.get("request")
        if request is not None and _declared_length(request) > limit:
            raise _body_too_large(limit)
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise _body_too_large(limit)
        encoding = get_encoding(parser_context)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise RequestShapeError(f"The JSON body is not valid {encoding}: byte {exc.start}.") from None
        try:
            return loads_strict(text)
        except JsonProblem as exc:
            if not exc.path:
                raise RequestShapeError(f"JSON parse error - {exc.message}") from None
            raise RequestShapeError(f"{exc.path}: {exc.message}", errors={exc.path: [exc.message]}) from None


class MultiPartParser(DrfMultiPartParser):
    """multipart/form-data whose text fields (names and JSON parts alike) hold only text the database can store."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        check_form_text(parsed.data)
        return parsed


def check_form_text(data) -> None:
    """A 422 naming the first form field (a QueryDict) whose name or text the database cannot store."""
    from aegis.exceptions import RequestShapeError
    from aegis.jsonparts import UNSTORABLE, UNSTORABLE_MESSAGE, printable

    for key, values in data.lists():
        if UNSTORABLE.search(key) or any(UNSTORABLE.search(value) for value in values):
            field = printable(key)
            message = UNSTORABLE_MESSAGE
            raise RequestShapeError(f"Form field '{field}' {message}", errors={field: [message]})
