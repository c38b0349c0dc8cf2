from drf_spectacular.utils import OpenApiResponse


def error_responses(descriptions: dict[int, str]) -> dict[int, OpenApiResponse]:
    """OpenAPI entries for error statuses; every body is {"detail": ..., "errors"?: ...}."""
    return {code: OpenApiResponse(description=text) for code, text in descriptions.items()}
