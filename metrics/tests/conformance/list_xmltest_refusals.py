"""Write data/xmltest/refused.json: the well-formed xmltest documents that is_valid_xml refuses by its rules.

    python metrics/tests/conformance/list_xmltest_refusals.py

A well-formed case is refused when its DOCTYPE names an external DTD (SYSTEM or PUBLIC), declares an entity or
refers to a parameter entity. This reads the DOCTYPE by plain string search, not with the code under test; the
list it writes was reviewed by hand and is committed, so the tests compare the metric with it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "xmltest"


def reason(document: str) -> str | None:
    start = document.find("<!DOCTYPE")
    if start == -1:
        return None
    subset_start = document.find("[", start)
    head_end = document.find(">", start)
    head = document[start : subset_start if -1 < subset_start < head_end else head_end]
    if "SYSTEM" in head or "PUBLIC" in head:
        return "external DTD"
    subset = document[subset_start : document.rfind("]>")] if -1 < subset_start < head_end else ""
    if "<!ENTITY" in subset:
        return "entity declaration"
    if "%" in subset:
        return "parameter-entity reference"
    return None


def main() -> None:
    refused = {}
    with zipfile.ZipFile(DATA / "xmltest.zip") as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith(".xml") or "/out/" in name or "/not-wf/" in name:
                continue
            raw = archive.read(name)
            text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8")
            if why := reason(text):
                refused[name] = why
    (DATA / "refused.json").write_text(json.dumps(refused, indent=1) + "\n", encoding="utf-8")
    print(f"{len(refused)} well-formed cases refused by rule")


if __name__ == "__main__":
    main()
