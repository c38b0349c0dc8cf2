"""Uploads and downloads with a progress bar by bytes, a chunk at a time: a 1 GB CSV never sits in memory."""

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from aegis_cli import output


def byte_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=output.stderr(),
        disable=output.STATE.quiet,
    )


class CountingReader:
    """A binary file that reports how far it has been read.

    httpx streams a multipart file part with read(64 KiB) calls and sizes it with fstat(fileno()), so the request
    has a Content-Length (some servers refuse chunked uploads) and the bar moves as bytes leave.
    """

    def __init__(self, raw, progress: Progress, task: TaskID, *, when_sent: str) -> None:
        self._raw = raw
        self._progress = progress
        self._task = task
        self._when_sent = when_sent

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        if chunk:
            self._progress.update(self._task, completed=self._raw.tell())
        else:
            # A large file takes the server a while to store after its last byte: say why the full bar waits.
            self._progress.update(self._task, description=self._when_sent)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._raw.seek(offset, whence)
        self._progress.update(self._task, completed=position)
        return position

    def tell(self) -> int:
        return self._raw.tell()

    def fileno(self) -> int:
        return self._raw.fileno()


@contextlib.contextmanager
def upload_reader(path: Path) -> Iterator[CountingReader]:
    size = path.stat().st_size
    with path.open("rb") as raw, byte_progress() as progress:
        task = progress.add_task(f"Uploading {path.name}", total=size)
        yield CountingReader(raw, progress, task, when_sent=f"Uploaded {path.name}, storing")


def save_stream(response, destination: str | None, description: str) -> tuple[str, int]:
    """Write a streamed response to `destination` ("-" for stdout); a failed download leaves no partial file."""
    total = response.headers.get("Content-Length")
    total = int(total) if total and total.isdigit() else None
    written = 0
    with byte_progress() as progress:
        task = progress.add_task(description, total=total)
        if destination == "-":
            sink = sys.stdout.buffer
            for chunk in response.iter_bytes():
                sink.write(chunk)
                written += len(chunk)
                progress.update(task, completed=written)
            sink.flush()
            return "-", written
        target = Path(destination)
        partial = target.with_name(f".{target.name}.part")
        try:
            with partial.open("wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
                    written += len(chunk)
                    progress.update(task, completed=written)
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise
        if total is None:
            progress.update(task, total=written)
    return str(target), written
