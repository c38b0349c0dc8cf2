"""Uploads: the size limit (a JSON 413 before the body is read when Content-Length says so, and while reading
otherwise), spooling large files to unnamed temporary files closed on every path, bodies cut short, and bodies sent
with `Transfer-Encoding: chunked` (no Content-Length)."""

import io
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


# Django reads a multipart body in its handlers' smallest chunk size, 64 kB by default: 1 MB halves the time to
# receive a large file (bench/ingest.py), and the size limit is still checked on every chunk.
UPLOAD_CHUNK_BYTES = 1 << 20


def limit_upload_size(request) -> None:
    limit = settings.MAX_UPLOAD_BYTES
    try:
        declared = 0 if request.META.get(CHUNKED) else int(request.META.get("CONTENT_LENGTH") or 0)
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
    for handler in django_request.upload_handlers:
        handler.chunk_size = UPLOAD_CHUNK_BYTES


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
    """WSGI middleware: bodies with a Content-Length are read through WholeBodyInput, chunked ones as below."""

    def application(environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 0:
            environ["wsgi.input"] = WholeBodyInput(environ["wsgi.input"], length)
        elif _is_chunked(environ):
            _read_chunked(environ)
        return app(environ, start_response)

    return application


# Chunked bodies.

CHUNKED = "aegis.chunked_body"  # set in the environ (request.META) of a request whose body came chunked


def _is_chunked(environ) -> bool:
    """A body of unknown length that the server ends for us (gunicorn does for chunked requests)."""
    return (
        not environ.get("CONTENT_LENGTH")
        and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        and bool(environ.get("wsgi.input_terminated"))
    )


def _read_chunked(environ) -> None:
    """Django reads no body without a Content-Length (nor does DRF), so a chunked one gets a length here.

    A multipart body (an upload) streams, with the length declared as one byte more than MAX_UPLOAD_BYTES so that
    nothing cuts it short before BoundedInput answers 413 past the limit; limit_upload_size knows it was not
    declared by the client. Any other body is small: it is read up to DATA_UPLOAD_MAX_MEMORY_SIZE and one byte
    more and gets its real length, so Django refuses one too large as it refuses a declared length that large.
    """
    environ[CHUNKED] = True
    if environ.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data"):
        limit = settings.MAX_UPLOAD_BYTES
        environ["wsgi.input"] = BoundedInput(environ["wsgi.input"], limit)
        environ["CONTENT_LENGTH"] = str(limit + 1)
        return
    cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or settings.MAX_UPLOAD_BYTES
    body = environ["wsgi.input"].read(cap + 1)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


class BoundedInput:
    """wsgi.input that answers 413 (the API's JSON) once more than `limit` bytes of body have been read."""

    def __init__(self, stream, limit: int):
        self._stream = stream
        self._limit = limit
        self._received = 0

    def _check(self, data: bytes) -> bytes:
        self._received += len(data)
        if self._received > self._limit:
            raise _too_large(self._limit)
        return data

    def read(self, size=-1, /):
        return self._check(self._stream.read(size))

    def readline(self, size=-1, /):
        return self._check(self._stream.readline(size))
