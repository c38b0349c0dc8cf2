"""Properties of the streaming CSV parser on generated files.

Whatever bytes arrive, the parser yields record tuples or raises its own CsvError; nothing else escapes. An error
about a place in the file names a line that exists; the few about the file as a whole (empty, no data rows, a
header that names no field) say so. A dry run (a ProblemLog) never raises and agrees with the strict parse. Rows a
CSV writer produces, in every accepted encoding, delimiter and line ending, read back exactly (empty cells as null).
Every example runs with a small read chunk as well, so the block boundaries fall everywhere.
"""

import codecs
import csv
import io
from contextlib import contextmanager
from datetime import timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from datasets import csv_import
from datasets.csv_import import RECORD_FIELDS, CsvError, CsvLimits, CsvUpload, ProblemLog

examples = settings(
    max_examples=60,
    deadline=timedelta(seconds=2),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Refusals of the file as a whole, which no single line is to blame for.
WHOLE_FILE = ("The file is empty", "The file has a header but no data rows", "No record field found", "column_mappings")

chunk_sizes = st.sampled_from([1, 3, 7, 64, 1 << 16])
# Bytes that matter to a CSV reader and a decoder, so generated files reach the interesting paths.
csv_bytes = st.lists(
    st.sampled_from([b",", b'"', b"\n", b"\r", b"\r\n", b";", b"\t", b"\x00", b"\xff", b"\xc3\xa9", b"a", b" "])
    | st.binary(max_size=4),
    max_size=80,
).map(b"".join)
headers = st.lists(st.sampled_from([*RECORD_FIELDS, "Golden Answer", "notes", "", " prompt "]), min_size=1, max_size=6)
limits = st.one_of(
    st.just(CsvLimits()),
    st.builds(
        CsvLimits,
        rows=st.integers(1, 4) | st.none(),
        columns=st.integers(1, 4) | st.none(),
        cell_chars=st.integers(1, 6) | st.none(),
    ),
)
delimiters = st.sampled_from([",", ";", "\t", "|"])
# Cell text the database can store: no NUL, no lone surrogates (the decoders never produce them either).
cell_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)


@contextmanager
def chunks_of(size: int):
    saved = csv_import.CHUNK_BYTES
    csv_import.CHUNK_BYTES = size
    try:
        yield
    finally:
        csv_import.CHUNK_BYTES = saved


def strict_parse(content: bytes, *, delimiter=",", mappings=None, bounds=None):
    """(rows, None) or (None, the CsvError). Any other exception propagates and fails the property."""
    try:
        upload = CsvUpload(io.BytesIO(content), mappings, bounds, delimiter=delimiter)
        return list(upload.rows()), None
    except CsvError as error:
        return None, error


def physical_lines(content: bytes) -> int:
    return content.count(b"\n") + content.count(b"\r") + 1


def assert_names_a_line(error: CsvError, content: bytes) -> None:
    if error.line is None:
        assert str(error).startswith(WHOLE_FILE), str(error)
    else:
        # UTF-16 lines are counted in characters, so the bound is the number of line breaks of either width.
        assert 1 <= error.line <= physical_lines(content), (error.line, str(error))
        assert str(error).startswith(f"Line {error.line}: "), str(error)


def check_file(content: bytes, *, delimiter=",", mappings=None, bounds=None, chunk=1 << 16):
    with chunks_of(chunk):
        rows, error = strict_parse(content, delimiter=delimiter, mappings=mappings, bounds=bounds)
        problems = ProblemLog()
        dry = CsvUpload(io.BytesIO(content), mappings, bounds, delimiter=delimiter, problems=problems)
        dry_rows = list(dry.rows())
    if error is not None:
        assert_names_a_line(error, content)
        assert problems.count >= 1, str(error)
    else:
        assert all(len(row) == len(RECORD_FIELDS) for row in rows)
        assert problems.count == 0, problems.items
        assert dry_rows == rows
    return rows, error


@examples
@given(content=st.binary(max_size=300), chunk=chunk_sizes)
def test_any_bytes_parse_or_raise_a_csv_error(content, chunk):
    check_file(content, chunk=chunk)


@examples
@given(
    header=headers,
    body=csv_bytes,
    bom=st.sampled_from([b"", codecs.BOM_UTF8]),
    delimiter=delimiters,
    bounds=limits,
    chunk=chunk_sizes,
)
def test_near_csv_files_parse_or_raise_a_csv_error_naming_the_line(header, body, bom, delimiter, bounds, chunk):
    content = bom + delimiter.join(header).encode() + b"\n" + body
    check_file(content, delimiter=delimiter, bounds=bounds, chunk=chunk)


@examples
@given(
    header=headers,
    body=csv_bytes,
    mappings=st.dictionaries(st.sampled_from(RECORD_FIELDS), st.sampled_from(["notes", "prompt", "missing", ""])),
    chunk=chunk_sizes,
)
def test_column_mappings_never_escape_as_another_error(header, body, mappings, chunk):
    content = ",".join(header).encode() + b"\n" + body
    check_file(content, mappings=mappings, chunk=chunk)


@examples
@given(body=csv_bytes, chunk=chunk_sizes)
def test_utf16_files_parse_or_raise_a_csv_error(body, chunk):
    content = "prompt,output\n".encode("utf-16") + body
    check_file(content, chunk=chunk)


@st.composite
def well_formed_files(draw):
    fields = draw(st.lists(st.sampled_from(RECORD_FIELDS), min_size=1, max_size=5, unique=True))
    rows = draw(st.lists(st.fixed_dictionaries({field: cell_text for field in fields}), min_size=1, max_size=8))
    return fields, rows


@examples
@given(
    data=well_formed_files(),
    delimiter=delimiters,
    line_ending=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    chunk=chunk_sizes,
)
def test_well_formed_rows_read_back_exactly(data, delimiter, line_ending, encoding, quoting, chunk):
    fields, rows = data
    # The writer quotes a cell for the characters of its own line ending only, so a bare CR would go out unquoted:
    # a malformed file, which the parser rightly refuses.
    assume(
        quoting == csv.QUOTE_ALL
        or line_ending == "\r\n"
        or not any("\r" in cell for row in rows for cell in row.values())
    )
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter, lineterminator=line_ending, quoting=quoting)
    writer.writerow(fields)
    for row in rows:
        writer.writerow([row[field] for field in fields])
    content = text.getvalue().encode(encoding)

    parsed, error = check_file(content, delimiter=delimiter, chunk=chunk)

    assert error is None, str(error)
    expected = [tuple(row.get(field) or None for field in RECORD_FIELDS) for row in rows]
    assert parsed == expected
