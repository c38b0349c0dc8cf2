"""Loading the vendored conformance data (see README.md beside this file) and scoring through the registry."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

from metrics.args import resolve_args
from metrics.registry import by_shortname

DATA = Path(__file__).resolve().parent / "data"
JSON_SCHEMA_SUITE = DATA / "json_schema_test_suite"
XMLTEST_ZIP = DATA / "xmltest" / "xmltest.zip"
# The suite's remote references point at a server on localhost:1234, which these tests never start.
REMOTE_REF_MARK = "localhost:1234"
DRAFTS = {"draft7": "Draft7Validator", "draft2020-12": "Draft202012Validator"}


def score(shortname: str, output: str, golden: str | None = None, **args):
    """The Score of one row, exactly as a run computes it: arguments validated and merged, then scored."""
    spec = by_shortname(shortname)
    record = {"prompt": None, "input": None, "context": None, "output": output, "golden_answer": golden}
    return spec.score(record, resolve_args(spec, args))


def load_json(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def json_schema_cases() -> Iterator[tuple[str, str, object, object, bool]]:
    """(case id, validator, schema, instance, valid) for every suite case that needs no remote schema."""
    for draft, validator in DRAFTS.items():
        for path in sorted((JSON_SCHEMA_SUITE / draft).glob("*.json")):
            for group_index, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
                if REMOTE_REF_MARK in json.dumps(group["schema"]):
                    continue
                for test_index, test in enumerate(group["tests"]):
                    case_id = f"{draft}/{path.stem}/{group_index}.{test_index}"
                    yield case_id, validator, group["schema"], test["data"], test["valid"]


def xmltest_documents() -> Iterator[tuple[str, str | None]]:
    """(path inside the archive, document text) for every .xml case of James Clark's xmltest.

    A metric reads decoded text, so a case is decoded as a caller would: UTF-16 by its byte order mark, else
    UTF-8. The text is None for a case whose point is bytes that are not UTF-8 (no text can carry them).
    """
    with zipfile.ZipFile(XMLTEST_ZIP) as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith(".xml") or "/out/" in name:
                continue
            raw = archive.read(name)
            try:
                yield name, raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8")
            except UnicodeDecodeError:
                yield name, None
