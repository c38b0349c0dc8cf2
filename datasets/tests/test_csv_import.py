"""The streaming parser on its own, with tiny read chunks so every boundary case is crossed."""

import io

import pytest

from datasets import csv_import
from datasets.csv_import import CsvError, CsvUpload

CONTENT = (
    "prompt,output\r\n"
    '"multi\nline ✓ value","a, ""quoted"" comma"\r\n'
    "é😀 unicode across chunks,\r\n"
    "\r\n"
    "last row without newline,x"
).encode()


@pytest.fixture(params=[1, 2, 3, 7, 64, 1 << 16], ids=lambda size: f"chunk{size}")
def chunk_size(request, monkeypatch):
    monkeypatch.setattr(csv_import, "CHUNK_BYTES", request.param)
    return request.param


def parse(content: bytes, mappings=None) -> list[tuple]:
    return list(CsvUpload(io.BytesIO(content), mappings).rows())


def test_rows_are_identical_whatever_the_chunk_size(chunk_size):
    assert parse(CONTENT) == [
        ("multi\nline ✓ value", None, None, 'a, "quoted" comma', None),
        ("é😀 unicode across chunks", None, None, None, None),
        ("last row without newline", None, None, "x", None),
    ]


def test_utf16_with_bom(chunk_size):
    assert parse(CONTENT.decode().encode("utf-16")) == parse(CONTENT)


def test_decode_errors_name_the_line_and_position(chunk_size):
    content = b"prompt\n" + b"ok\n" * 50 + b"ab\xffcd\n"
    with pytest.raises(CsvError, match=r"Line 52: not valid UTF-8 \(byte 0xff at position 3\)"):
        parse(content)


def test_nul_bytes_name_the_line(chunk_size):
    with pytest.raises(CsvError, match="Line 3: contains a NUL byte"):
        parse(b"prompt\nfine\nbad\x00\n")


def test_ragged_row_names_its_line(chunk_size):
    with pytest.raises(CsvError, match="Line 4: expected 2 fields"):
        parse(b'prompt,output\n"a\nb",c\nd\n')


def test_rows_are_produced_lazily(monkeypatch):
    monkeypatch.setattr(csv_import, "CHUNK_BYTES", 8)  # laziness is per block of lines
    upload = CsvUpload(io.BytesIO(b"prompt\nfirst\nsecond\xff\n"))
    rows = upload.rows()
    assert next(rows) == ("first", None, None, None, None)
    with pytest.raises(CsvError, match="Line 3"):
        next(rows)
