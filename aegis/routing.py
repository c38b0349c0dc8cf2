"""Path converter for object ids: any segment reaches the view, so a non-integer id is a 422 rather than a 404."""

from aegis.exceptions import RequestShapeError


class ObjectIdConverter:
    regex = r"[^/]+"

    def to_python(self, value: str):
        return value

    def to_url(self, value) -> str:
        return str(value)


def parse_object_id(value, name: str = "id") -> int:
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise RequestShapeError(
            f"Path parameter '{name}' must be a positive integer.", errors={name: ["Not an integer."]}
        )
    return int(text)
