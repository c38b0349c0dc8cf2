"""Reading an upload's file part as it arrives, when the form fields come before it.

Django's multipart parser reads the whole body, spooling the file to a temporary file, before a view sees the
form: for a large upload, the reader waits for the last byte before it parses the first. Here the parts are read
lazily (django.http.multipartparser.Parser): the fields that come before the file, then the file part itself as a
file object over the request stream, so the view validates the fields as it always has and hands the file to a
reader that parses it (and the database stores it) while it arrives.

The answer is always the one Django's parser gives, whatever the order of the parts:

- Until the file part starts, the raw bytes read are kept in memory. A form that does not stream (the file before
  the fields it needs, another file part, an encoding or a limit left to Django, a file whose first bytes ask for
  seeking) is parsed by Django, as before, from those bytes followed by the rest of the stream.
- Once the file streams, the raw bytes also go to an unnamed temporary file, written and not read: the view's work
  runs in one transaction that commits only once the body has been read to its end, and when a part follows the
  file (a field that would change the request), that work is rolled back and Django parses the request from the
  copy. Only a body that cannot be read at all (a client gone, past MAX_UPLOAD_BYTES) is answered from where it
  broke, as Django's parser answers it.
"""

import io
import tempfile
from collections.abc import Callable, Collection, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousMultipartForm
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import QueryDict
from django.http.multipartparser import (
    FIELD,
    FIELD_TYPES,
    FILE,
    RAW,
    ChunkIter,
    LazyStream,
    MultiPartParser,
    MultiPartParserError,
    Parser,
    exhaust,
)
from django.utils.datastructures import MultiValueDict
from django.utils.encoding import force_str
from rest_framework.request import Empty

from aegis.parsers import check_form_text
from aegis.uploads import SPOOLED, UPLOAD_CHUNK_BYTES


class _Recorder:
    """The request body as the lazy parser reads it, every raw byte kept for a replay: in memory until the file
    streams, then in an unnamed temporary file."""

    def __init__(self, django_request):
        self._request = django_request
        self._kept: Any = io.BytesIO()
        self.failed = False  # a read of the body itself failed: no replay can give Django's answer

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._request.read(size)
        except BaseException:
            self.failed = True
            raise
        self._kept.write(data)
        return data

    def spill(self) -> None:
        kept = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115  (closed by close())
        self._request.__dict__.setdefault(SPOOLED, []).append(kept)  # and by UploadCleanupMiddleware, whatever happens
        kept.write(self._kept.getvalue())
        self._kept = kept

    def replay(self) -> None:
        """From now on the request reads the kept bytes again, then the rest of its stream."""
        self._kept.seek(0)
        self._request._stream = _Replay(self._kept, self._request._stream)
        self._request._read_started = False

    def close(self) -> None:
        self._kept.close()


class _Replay:
    """Bytes already read from a stream, then the rest of that stream."""

    def __init__(self, kept, rest):
        self._kept = kept
        self._rest = rest

    def read(self, size: int | None = -1) -> bytes:
        if self._kept is not None:
            data = self._kept.read() if size is None or size < 0 else self._kept.read(size)
            if size is None or size < 0:
                self._kept = None
                return data + self._rest.read()
            if data or size == 0:
                return data
            self._kept = None
        return self._rest.read(size)

    def readline(self, size: int | None = -1) -> bytes:
        if self._kept is not None:
            line = self._kept.readline(-1 if size is None else size)
            if line:
                return line  # a line cut where the kept bytes end is read on by the next call, as a short read
            self._kept = None
        return self._rest.readline(size)


class _FilePart(io.RawIOBase):
    """The file part as it arrives. Its first bytes (`head`) can be read again (seek back into them, as the format
    sniffing does), until a read goes past them."""

    def __init__(self, chunks: LazyStream, head: bytes):
        super().__init__()
        self._chunks = chunks
        self._head = head
        self._position = 0
        self._pending = b""  # a chunk past the head, taken from the stream, read up to _offset
        self._offset = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR and offset == 0:
            return self._position
        if whence == io.SEEK_SET and 0 <= offset <= len(self._head) and self._position <= len(self._head):
            self._position = offset
            return offset
        raise io.UnsupportedOperation("the upload is read as it arrives: only its first bytes can be read again")

    def read(self, size: int | None = -1) -> bytes:
        whole = size is None or size < 0
        if self._position < len(self._head):
            end = len(self._head) if whole else min(len(self._head), self._position + size)
            data = self._head[self._position : end]
            self._position = end
            return data + self._read_on(-1) if whole else data
        return self._read_on(-1 if whole else size)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _read_on(self, size: int) -> bytes:
        if size < 0:
            data = self._pending[self._offset :] + b"".join(self._chunks)
            self._pending, self._offset = b"", 0
        else:
            if self._offset >= len(self._pending):
                self._pending, self._offset = next(self._chunks, b""), 0
            data = self._pending[self._offset : self._offset + size]  # the chunk itself is not copied on each read
            self._offset += len(data)
        self._position += len(data)
        return data

    def drain(self) -> None:
        self._pending, self._offset = b"", 0
        exhaust(self._chunks)


class StreamedUpload:
    """A multipart form whose fields came before its file part: `attempt` runs the view's work on it."""

    def __init__(self, request, recorder: _Recorder, fields: QueryDict, file: UploadedFile, part: _FilePart, items):
        self._request = request
        self._recorder = recorder
        self._file = file
        self._part = part
        self._items = items
        self._field_types_seen = 0
        self._fields = fields
        self.data = fields.copy()
        self._files = MultiValueDict({file.field_name: [file]})
        self.data.update(self._files)  # as DRF's request.data joins them

    def attempt(self, call: Callable[[QueryDict], Any]) -> Any:
        """`call(form)`'s answer, or None when the request must be parsed as before (request.data): then nothing
        `call` wrote is kept, and request.data reads the whole body again."""
        replaying = False
        request = self._request
        # request.data is this form for the attempt (so nothing tries to read the body again), and unread after it.
        request._data, request._files, request._full_data = self._fields, self._files, self.data
        try:
            try:
                with transaction.atomic():
                    check_form_text(self._fields)
                    answer = call(self.data)
                    if self._part_follows():
                        raise _PartFollows
                return answer
            except _PartFollows:
                replaying = True
            except Exception:
                # The body decides first, as when Django reads it whole: a body that cannot be read is the answer,
                # and a part after the file may change the request.
                if self._recorder.failed or not self._part_follows():
                    raise
                replaying = True
            self._recorder.replay()
            request._data = request._files = request._full_data = Empty
            return None
        finally:
            self._file.close()
            if not replaying:
                self._recorder.close()

    def _part_follows(self) -> bool:
        """Reads the rest of the file part and of the body, as Django's parser does: whether a field or another
        file comes after the file (or something only Django's parser should answer)."""
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        try:
            self._part.drain()
            for item_type, _, _ in self._items:
                if item_type != RAW:
                    return True
                self._field_types_seen += 1
                if limit is not None and limit + 2 < self._field_types_seen:
                    return True
            exhaust(self._recorder)
        except (MultiPartParserError, SuspiciousMultipartForm):
            if self._recorder.failed:
                raise
            return True
        return False


class _PartFollows(Exception):
    pass


def streamed_upload(
    request,
    *,
    file_field: str,
    fields_first: Collection[str],
    streamable: Callable[[bytes], bool],
    head_bytes: int,
) -> StreamedUpload | None:
    """The request's form with its file part `file_field` read as it arrives, or None: then request.data parses
    the whole body as before.

    It streams when `file_field` is the first file part and every field of `fields_first` came before it, and
    `streamable` accepts the file's first `head_bytes` bytes. The browsable API's form (its CSRF check reads the
    form before the view) and anything Django refuses are left to request.data.
    """
    django_request = request._request
    if django_request._read_started or hasattr(django_request, "_files"):
        return None
    try:
        parser = MultiPartParser(django_request.META, None, [], django_request.encoding)
    except MultiPartParserError:
        return None
    if parser._content_length <= 0:
        return None
    recorder = _Recorder(django_request)
    try:
        started = _start(request, recorder, parser, file_field, fields_first, streamable, head_bytes)
    except Exception:
        if recorder.failed:
            raise
        started = None
    if started is None:
        recorder.replay()
    return started


def _start(request, recorder, parser, file_field, fields_first, streamable, head_bytes) -> StreamedUpload | None:
    """Reads the parts before the file as Django's parser does (MultiPartParser._parse), and the file's head."""
    encoding = parser._encoding
    fields = QueryDict(mutable=True, encoding=encoding)
    items = iter(Parser(LazyStream(ChunkIter(recorder, UPLOAD_CHUNK_BYTES)), parser._boundary))
    field_types = 0
    field_bytes = 0
    max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    max_memory = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    for item_type, meta_data, part in items:
        if item_type in FIELD_TYPES:
            field_types += 1
            if max_fields is not None and max_fields + 2 < field_types:
                return None
        try:
            disposition = meta_data["content-disposition"][1]
            field_name = disposition["name"].strip()
        except (KeyError, IndexError, AttributeError):
            continue
        if meta_data.get("content-transfer-encoding") is not None:
            return None
        field_name = force_str(field_name, encoding, errors="replace")
        if item_type == FIELD:
            value = part.read(size=None if max_memory is None else max_memory - field_bytes)
            field_bytes += len(value) + len(field_name) + 2
            if max_memory is not None and field_bytes > max_memory:
                return None
            fields.appendlist(field_name, force_str(value, encoding, errors="replace"))
            continue
        if item_type != FILE or field_name != file_field or any(name not in fields for name in fields_first):
            return None
        file_name = parser.sanitize_file_name(force_str(disposition.get("filename"), encoding, errors="replace"))
        max_files = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        if not file_name or (max_files is not None and max_files < 1):
            return None
        head = _head(part, head_bytes)
        if not streamable(head):
            return None
        recorder.spill()
        content_type, content_type_extra = meta_data.get("content-type", ("", {}))
        file_part = _FilePart(part, head)
        upload = UploadedFile(
            file_part,
            name=file_name,
            content_type=content_type.strip(),
            size=None,
            charset=content_type_extra.get("charset"),
            content_type_extra=content_type_extra,
        )
        upload.field_name = field_name
        fields._mutable = False
        streamed = StreamedUpload(request, recorder, fields, upload, file_part, items)
        streamed._field_types_seen = field_types
        return streamed
    return None


def _head(part: Iterator[bytes], size: int) -> bytes:
    """The part's first `size` bytes (fewer if it is shorter), the rest of the chunk put back."""
    chunks: list[bytes] = []
    taken = 0
    while taken < size:
        chunk = next(part, b"")
        if not chunk:
            break
        chunks.append(chunk)
        taken += len(chunk)
    data = b"".join(chunks)
    part.unget(data[size:])  # type: ignore[attr-defined]  (a LazyStream)
    return data[:size]
