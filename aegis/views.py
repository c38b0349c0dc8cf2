import orjson
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView as BaseAPIView

from aegis.exceptions import RequestShapeError


def validated(serializer_class, data, **kwargs) -> dict:
    """Run an input serializer; a problem with the request's shape is a 422 naming each field."""
    serializer = serializer_class(data=data, **kwargs)
    if not serializer.is_valid():
        raise RequestShapeError("The request is not valid.", errors=serializer.errors)
    return serializer.validated_data


# Headers of a JSON answer that a re-rendered page must not carry over: they describe the JSON bytes.
_BODY_HEADERS = {"content-type", "content-length"}


# An APIView whose JSON answers a browser also gets as the browsable API's HTML page. Many views answer with bytes
# they render themselves (orjson, or a stream straight from the database), which DRF hands to every client as they
# are. When content negotiation picked the browsable API (a browser's `Accept`), such a JSON answer is shown on that
# page instead, with its status and headers; JSON clients get the same bytes as before, and other answers (CSV
# downloads) pass through untouched. (No docstring: the OpenAPI document and the browsable API would show it as
# the description of every endpoint.)
class APIView(BaseAPIView):
    def finalize_response(self, request, response, *args, **kwargs):
        if not isinstance(response, Response) and _shown_in_browser(request, response):
            response = _as_browsable(response)
        return super().finalize_response(request, response, *args, **kwargs)


def _shown_in_browser(request, response) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return isinstance(renderer, BrowsableAPIRenderer) and response.get("Content-Type", "").startswith(
        "application/json"
    )


def _as_browsable(response) -> Response:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = {name: value for name, value in response.items() if name.lower() not in _BODY_HEADERS}
    return Response(orjson.loads(body) if body else None, status=response.status_code, headers=headers)


API_ROOT_LINKS = {
    "datasets": "dataset-list",
    "dataset_types": "dataset-type-list",
    "data_collections": "collection-list",
    "metrics": "metric-list",
    "models": "model-list",
    "runs": "run-list",
    "docs": "swagger-ui",
    "redoc": "redoc",
    "schema": "schema",
}


class ApiRootView(APIView):
    """Aegis API: where each part of it is. Every endpoint needs `Authorization: Bearer <API key>` (or a session)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(exclude=True)  # a map for people and browsers, not part of the contract
    def get(self, request):
        return Response(
            {name: request.build_absolute_uri(reverse(url_name)) for name, url_name in API_ROOT_LINKS.items()}
        )


# The docs pages may load only from this server: the browser refuses anything else they would fetch (ReDoc's footer
# shows a logo from its makers' CDN, for one). Inline scripts and styles are how both pages start and style
# themselves; ReDoc's search runs in a worker made from a blob.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)


class SameOriginDocsMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class SwaggerView(SameOriginDocsMixin, SpectacularSwaggerView):
    pass


class RedocView(SameOriginDocsMixin, SpectacularRedocView):
    template_name = "aegis/redoc.html"  # ReDoc's fonts from this server
