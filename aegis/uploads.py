"""Uploads: the size limit (a JSON 413 before the body is read when Content-Length says so, and while reading
otherwise), spooling large files to unnamed temporary files closed on every path, and bodies cut short."""

import tempfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler

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
    if hasattr(django_request, "_files"):
        # Already read: the CSRF check of a session login (the browsable API's form) reads the form first. Browsers
        # send a Content-Length, checked above; what arrived is checked too.
        if sum(upload.size for _, uploads in django_request._files.lists() for upload in uploads) > limit:
            raise _too_large(limit)
        return
    django_request.upload_handlers = [SizeLimitHandler(limit), *django_request.upload_handlers]


# Spooling and cleaning up.

SPOOLED = "_aegis_spooled_uploads"  # the request's list of the files spooled for it


class UnnamedTemporaryUploadedFile(UploadedFile):
    """An upload spooled to a file with no name on disk (FILE_UPLOAD_TEMP_DIR): closing it frees the space, and so
    does the process dying, so a client that vanishes or a killed worker leaves nothing behind."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        file = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115  (closed with the upload)
        super().__init__(file, name, content_type, size, charset, content_type_extra)


class UnnamedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's handler for uploads too large for memory, spooling to an unnamed file instead of a named one."""

    def new_file(self, *args, **kwargs):
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = UnnamedTemporaryUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )
        if self.request is not None:
            self.request.__dict__.setdefault(SPOOLED, []).append(self.file)

    def upload_interrupted(self):
        if hasattr(self, "file"):
            self.file.close()


class UploadCleanupMiddleware:
    """Closes every file spooled for a request once its view is done. Django closes a parsed upload with the
    response, but a parse cut short (a client gone mid-upload, a size limit hit mid-file) would leave the file open
    until garbage collection."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            for file in request.__dict__.pop(SPOOLED, ()):
                file.close()


# Bodies cut short.


class WholeBodyInput:
    """wsgi.input that raises once the body ends before its Content-Length, as when the client went away mid-upload.

    Servers hand the application what did arrive and then end of file, which the multipart parser would take for a
    complete (smaller) form. The error is an OSError, which Django reports as UnreadablePostError, a quiet 400.
    """

    def __init__(self, stream, length: int):
        self._stream = stream
        self._length = length
        self._received = 0

    def _check(self, data: bytes, size) -> bytes:
        self._received += len(data)
        if not data and size != 0 and self._received < self._length:
            raise ConnectionAbortedError(
                f"The client closed the connection after {self._received} of {self._length} body bytes."
            )
        return data

    def read(self, size=-1, /):
        return self._check(self._stream.read(size), size)

    def readline(self, size=-1, /):
        return self._check(self._stream.readline(size), size)


def whole_bodies(app):
    """WSGI middleware: bodies with a Content-Length are read through WholeBodyInput."""

    def application(environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 0:
            environ["wsgi.input"] = WholeBodyInput(environ["wsgi.input"], length)
        return app(environ, start_response)

    return application
