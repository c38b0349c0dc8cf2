from aegis.exceptions import RequestShapeError


def validated(serializer_class, data, **kwargs) -> dict:
    """Run an input serializer; a problem with the request's shape is a 422 naming each field."""
    serializer = serializer_class(data=data, **kwargs)
    if not serializer.is_valid():
        raise RequestShapeError("The request is not valid.", errors=serializer.errors)
    return serializer.validated_data
