from django.core.exceptions import TooManyFieldsSent
from django.http import HttpResponseBadRequest, JsonResponse

from aegis.exceptions import error_body
from aegis.params import query_problem


class ApiTrailingSlashMiddleware:
    """Routes under /api/ answer with and without a trailing slash.

    The reference posts to `/api/v1/datasets` with none, many clients add one; resolving both here keeps every
    route declared once (and once in the OpenAPI document) and avoids redirects, which would drop a POST body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and len(path) > len("/api/") and path.endswith("/"):
            request.path_info = path.rstrip("/")
        return self.get_response(request)


class QueryStringGuardMiddleware:
    """A query parameter holding text the database cannot store (NUL) is refused here, whoever reads it later.

    Under /api/ the answer is the API's 422 naming the parameter; elsewhere (the admin's search box) a plain 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            problem = query_problem(request.GET)
        except TooManyFieldsSent:
            problem = None  # the view reports it, as a 422 of its own
        if problem is None:
            return self.get_response(request)
        name, message = problem
        if not request.path.startswith("/api/"):
            return HttpResponseBadRequest(f"Query parameter {name!r} {message}", content_type="text/plain")
        return JsonResponse(error_body(f"Query parameter '{name}': {message}", {name: [message]}), status=422)


class ApiNotFoundJsonMiddleware:
    """A path under /api/ that no route matches is the API's JSON 404, with DEBUG on too: Django then answers with
    its HTML debug page instead of `handler404`. Only unrouted paths: a view's own 404 (a browser's HTML page of the
    browsable API) is left as it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        unrouted = getattr(request, "resolver_match", None) is None
        if response.status_code == 404 and unrouted and (request.path == "/api" or request.path.startswith("/api/")):
            return JsonResponse({"detail": "Not found."}, status=404)
        return response
