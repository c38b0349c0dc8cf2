"""Upload size limit: a JSON 413 before the body is read when Content-Length says so, and while reading otherwise."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler

from aegis.exceptions import PayloadTooLarge


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The upload is larger than the limit of {limit} bytes (MAX_UPLOAD_BYTES).")


class SizeLimitHandler(FileUploadHandler):
    """Counts file bytes as they arrive, for bodies whose Content-Length is absent or wrong."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise _too_large(self.limit)
        return raw_data

    def file_complete(self, file_size):
        return None


def limit_upload_size(request) -> None:
    limit = settings.MAX_UPLOAD_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise _too_large(limit)
    django_request = request._request
    django_request.upload_handlers = [SizeLimitHandler(limit), *django_request.upload_handlers]
