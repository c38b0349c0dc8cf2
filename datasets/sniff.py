"""Telling what an uploaded file is before parsing it, and what to do when it is not something we read.

Pure. `diagnose(head)` looks at the first bytes: an Excel workbook (ZIP) or JSON Lines is read by its own reader;
a legacy Office file, a PDF, another ZIP, a gzip stream, UTF-16 without a byte-order mark or a JSON array is
refused with a sentence naming what the file is and how to make it uploadable. The hints for a CSV that fails
later (a legacy encoding, another delimiter) come from here too, from the bytes or lines that failed.
"""

import codecs
import csv
import io
import zipfile
from typing import BinaryIO

from charset_normalizer import from_bytes

from datasets.tabular import CsvError

HEAD_BYTES = 64 * 1024
SAVE_AS_UTF8 = 'save it as UTF-8 (in Excel: Save As > "CSV UTF-8 (Comma delimited)") and upload it again'
TABLE_FORMATS = "a CSV file (UTF-8), an Excel workbook (.xlsx) or JSON Lines (.jsonl, one object per line)"

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
GZIP_SIGNATURE = b"\x1f\x8b"


def _refused(message: str) -> CsvError:
    return CsvError(message, kind="file")


def _zip_kind(binary: BinaryIO) -> str:
    """'xlsx' for a workbook openpyxl reads; otherwise refuses the archive, saying what it holds."""
    try:
        with zipfile.ZipFile(binary) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError):
        message = f"The file starts like a ZIP archive but cannot be opened as one: upload {TABLE_FORMATS}."
        raise _refused(message) from None
    finally:
        binary.seek(0)
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise _refused("The file is an Excel binary workbook (.xlsb): save it as .xlsx or CSV UTF-8 and upload that.")
    if "spreadsheet" in mimetype:
        raise _refused(
            "The file is an OpenDocument spreadsheet (.ods): save it as .xlsx or as CSV UTF-8 and upload that."
        )
    if "word/document.xml" in names or "text" in mimetype:
        raise _refused(f"The file is a word-processor document, not a table: upload {TABLE_FORMATS}.")
    raise _refused(f"The file is a ZIP archive: unzip it and upload the table inside ({TABLE_FORMATS}).")


def utf16_without_bom(head: bytes) -> str | None:
    """'little-endian' or 'big-endian' when the bytes look like mostly-ASCII UTF-16 text that has no BOM."""
    sample = head[: 4096 - 4096 % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, others, order in ((odd, even, "little-endian"), (even, odd, "big-endian")):
        if zeros.count(0) >= 0.9 * len(zeros) and others.count(0) <= 0.1 * len(others):
            return order
    return None


def reads_as_it_arrives(head: bytes) -> bool:
    """Whether a file that starts with `head` can be read front to back as it arrives: anything but a ZIP archive
    (an .xlsx workbook, or an archive diagnose names), which is read by seeking."""
    return not head.startswith(ZIP_SIGNATURES)


def diagnose(binary: BinaryIO) -> str:
    """'csv', 'xlsx' or 'jsonl', chosen by content (never by file name); anything else is a CsvError."""
    head = binary.read(HEAD_BYTES)
    binary.seek(0)
    if head.startswith(ZIP_SIGNATURES):
        return _zip_kind(binary)
    if head.startswith(OLE_SIGNATURE):
        raise _refused(
            "The file is a legacy Microsoft Office document (an Excel 97-2003 .xls workbook, or a password-protected "
            "workbook): save it as .xlsx, without a password, or as CSV UTF-8, and upload that."
        )
    if b"%PDF-" in head[:1024]:
        raise _refused(f"The file is a PDF document, not a table: export its data as {TABLE_FORMATS}.")
    if head.startswith(GZIP_SIGNATURE):
        raise _refused(f"The file is gzip-compressed: decompress it and upload {TABLE_FORMATS}.")
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        order = utf16_without_bom(head)
        if order is not None:
            raise _refused(
                f"The file looks like UTF-16 ({order}) text without a byte-order mark: {SAVE_AS_UTF8} "
                "(or save it as UTF-16 with a byte-order mark)."
            )
    text_start = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text_start.startswith(b"["):
        raise _refused(
            "The file is a JSON array; upload JSON Lines instead, one object per line with the record fields as "
            "keys (for example: jq -c '.[]' data.json > data.jsonl)."
        )
    if text_start.startswith(b"{"):
        return "jsonl"
    return "csv"


# Encodings a spreadsheet or an old system commonly writes, most common first: among encodings that decode the
# bytes the same way, the first of these is named.
LEGACY_ENCODINGS = [
    "cp1252", "latin_1", "iso8859_15", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "mac_roman", "cp850",
    "cp437", "koi8_r", "shift_jis", "gb18030", "big5", "euc_kr",
]  # fmt: skip


def legacy_encoding_hint(block: bytes) -> str:
    """A sentence for a file that is not UTF-8, naming the legacy encoding charset-normalizer finds most likely."""
    matches = list(from_bytes(block[:HEAD_BYTES], cp_isolation=LEGACY_ENCODINGS, explain=False))
    if not matches:
        return f" The file is not UTF-8: {SAVE_AS_UTF8}."
    best = matches[0]
    # Encodings that read the sample equally well are a tie: the most common of them is the likelier one.
    candidates = set()
    for match in matches:
        if (match.chaos, match.coherence) == (best.chaos, best.coherence):
            candidates |= {match.encoding, *match.could_be_from_charset}
    names = [name for name in LEGACY_ENCODINGS if name in candidates][:3]
    return f" It looks like {' or '.join(names)} (a legacy encoding), not UTF-8: {SAVE_AS_UTF8}."


DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}
DELIMITER_FIELD_VALUES = {",": ",", ";": ";", "\t": "tab", "|": "|"}


def delimiter_hint(sample_lines: list[str], used: str) -> str:
    """A sentence for a header that found no field, when another delimiter splits it into columns."""
    sample = "".join(line[:4096] for line in sample_lines)
    others = "".join(candidate for candidate in DELIMITER_NAMES if candidate != used)
    try:
        found = csv.Sniffer().sniff(sample, delimiters=others).delimiter
    except csv.Error:
        return ""
    header = next(csv.reader(io.StringIO(sample_lines[0] if sample_lines else ""), delimiter=found), [])
    if len(header) < 2:
        return ""
    return (
        f" The file looks separated by {DELIMITER_NAMES[found]}, not "
        f"{DELIMITER_NAMES[used]}: send the form field delimiter={DELIMITER_FIELD_VALUES[found]}, or save the file "
        "comma-separated."
    )
