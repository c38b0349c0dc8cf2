"""Add pysbd's sentence count to each case of data/sentences.json (run once, outside the project's virtualenv):

    python -m venv /tmp/reference && /tmp/reference/bin/pip install pysbd==0.3.4
    /tmp/reference/bin/python metrics/tests/conformance/segment_with_pysbd.py

`expected` is the count under sent_ct_match's documented rule, written by hand; `pysbd` is what that
well-kept segmenter finds, for comparison (the tests assert `expected`, and list where the two differ).
"""

import json
from pathlib import Path

import pysbd

PATH = Path(__file__).resolve().parent / "data" / "sentences.json"


def main() -> None:
    cases = json.loads(PATH.read_text(encoding="utf-8"))
    segmenter = pysbd.Segmenter(language="en", clean=False)
    for case in cases:
        case["pysbd"] = len([part for part in segmenter.segment(case["text"]) if part.strip()])
    PATH.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(sum(case["pysbd"] != case["expected"] for case in cases), "of", len(cases), "differ from pysbd")


if __name__ == "__main__":
    main()
