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
