"""Uploads that forgive and explain: header matching, diagnosis of what a file is, .xlsx, JSON Lines, delimiters."""

import io
import json
import zipfile

import openpyxl
import pytest

from datasets.models import Dataset, Record
from datasets.tests.helpers import METRICS, body, create, csv_file


def assert_nothing_stored():
    assert Dataset.objects.count() == 0
    assert Record.objects.count() == 0


def file_error(response, status: int = 400) -> str:
    assert response.status_code == status, body(response)
    payload = body(response)
    assert set(payload) <= {"detail", "errors"} and payload["detail"].strip() and "\n" not in payload["detail"]
    return payload["detail"]


def records(response) -> list[dict]:
    assert response.status_code == 201, body(response)
    return [{key: record[key] for key in body(response)["structure"]} for record in body(response)["records"]]


def ignored(response) -> list[str]:
    return json.loads(response["Aegis-Ignored-Columns"])


def xlsx_bytes(*rows, sheets: int = 1) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    for index in range(1, sheets):
        workbook.create_sheet(f"Other {index}").append(["prompt"])
        workbook.worksheets[index].append(["not from this sheet"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Header matching.


def test_headers_with_spaces_and_case_name_their_fields(alice_api):
    response = create(alice_api, content=b"Prompt, Output ,Golden Answer\nq,a,g\n")
    assert body(response)["structure"] == ["prompt", "output", "golden_answer"]
    assert records(response) == [{"prompt": "q", "output": "a", "golden_answer": "g"}]
    assert ignored(response) == []


@pytest.mark.parametrize("header", ["golden-answer", "GOLDEN_ANSWER", " Golden  Answer ", "golden - answer"])
def test_spellings_of_golden_answer_all_match(alice_api, header):
    response = create(alice_api, content=f"output,{header}\na,g\n".encode())
    assert body(response)["structure"] == ["output", "golden_answer"]


def test_the_201_body_stays_exact_and_ignored_columns_come_in_a_header(alice_api):
    response = create(alice_api, content=b"prompt,notes,Golden Answr\nq,n,g\n")
    plain = create(alice_api, content=b"prompt\nq\n", name="plain")
    assert list(body(response)) == list(body(plain))
    assert "notes" not in json.dumps(body(response))
    assert ignored(response) == ["notes", "Golden Answr"]
    assert ignored(plain) == []


def test_ignored_columns_header_is_ascii_json_even_for_other_scripts(alice_api):
    response = create(alice_api, content='prompt,Résumé,"a,b"\nq,r,c\n'.encode())
    assert response["Aegis-Ignored-Columns"] == '["R\\u00e9sum\\u00e9", "a,b"]'
    assert ignored(response) == ["Résumé", "a,b"]


def test_two_headers_meeting_on_one_field_are_a_400_naming_both(alice_api):
    detail = file_error(create(alice_api, content=b"output,Golden Answer,golden_answer\na,b,c\n"))
    assert "Line 1" in detail
    assert "'Golden Answer', 'golden_answer'" in detail and "golden_answer" in detail
    assert "column_mappings" in detail
    assert_nothing_stored()


def test_two_ignored_headers_that_meet_only_by_spelling_are_fine(alice_api):
    response = create(alice_api, content=b"prompt,my note,my-note\nq,a,b\n")
    assert ignored(response) == ["my note", "my-note"]


def test_an_exact_duplicate_is_still_the_old_error(alice_api):
    assert body(create(alice_api, content=b"prompt,Prompt\n1,2\n"))["errors"] == {
        "file": ["Line 1: duplicate header 'Prompt'."]
    }


def test_column_mappings_match_headers_by_the_same_rule(alice_api):
    response = create(alice_api, content=b"Question,golden-answer\nq,g\n", column_mappings={"prompt": "question"})
    assert records(response) == [{"prompt": "q", "golden_answer": "g"}]


def test_column_mappings_pick_one_of_two_lookalike_headers_by_exact_name(alice_api):
    content = b"Golden Answer,golden_answer\nfirst,second\n"
    response = create(alice_api, content=content, column_mappings={"golden_answer": "golden_answer"})
    assert records(response) == [{"golden_answer": "second"}]
    assert ignored(response) == ["Golden Answer"]


# Diagnosis: what the file is, and what to do.


def test_a_pdf_is_named_as_such(alice_api):
    detail = file_error(create(alice_api, content=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", filename="data.csv"))
    assert "PDF document" in detail and "CSV" in detail
    assert_nothing_stored()


def test_a_legacy_xls_workbook_is_named_with_what_to_do(alice_api):
    content = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    detail = file_error(create(alice_api, content=content, filename="book.xls"))
    assert "Excel 97-2003" in detail and "save it as .xlsx" in detail


def test_a_zip_that_is_no_workbook_is_named(alice_api):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", "prompt\nq\n")
    detail = file_error(create(alice_api, content=buffer.getvalue(), filename="data.zip"))
    assert "ZIP archive" in detail and "unzip" in detail


def test_an_ods_spreadsheet_is_named(alice_api):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert "OpenDocument spreadsheet" in file_error(create(alice_api, content=buffer.getvalue()))


def test_utf16_without_a_bom_is_named_with_its_byte_order(alice_api):
    detail = file_error(create(alice_api, content="prompt,output\nq,a\n".encode("utf-16-le")))
    assert "UTF-16 (little-endian)" in detail and "byte-order mark" in detail and "UTF-8" in detail
    detail = file_error(create(alice_api, content="prompt,output\nq,a\n".encode("utf-16-be")))
    assert "UTF-16 (big-endian)" in detail


def test_a_cp1252_file_keeps_its_error_line_and_says_what_to_do(alice_api):
    content = "prompt,output\nfine,ok\ncafé,crème brûlée\n".encode("cp1252")
    payload = body(create(alice_api, content=content))
    [message] = payload["errors"]["file"]
    assert message.startswith("Line 3: not valid UTF-8 (byte 0xe9 at position 4).")
    assert "cp1252" in message and "save it as UTF-8" in message
    assert_nothing_stored()


def test_a_semicolon_file_is_told_about_the_delimiter(alice_api):
    content = b"prompt;output;golden_answer\nq;a, with comma;g\n"
    detail = file_error(create(alice_api, content=content))
    assert "No record field found in the header. Headers found: 'prompt;output;golden_answer'." in detail
    assert "separated by semicolons" in detail and "delimiter=;" in detail


def test_a_tab_file_is_told_about_the_delimiter(alice_api):
    detail = file_error(create(alice_api, content=b"prompt\toutput\nq\ta\n"))
    assert "separated by tabs" in detail and "delimiter=tab" in detail


def test_a_semicolon_file_with_the_delimiter_field_is_accepted(alice_api):
    response = create(alice_api, content=b"Prompt;Output\nq;a, with comma\n", delimiter=";")
    assert records(response) == [{"prompt": "q", "output": "a, with comma"}]


@pytest.mark.parametrize(("value", "separator"), [("tab", "\t"), ("\t", "\t"), ("|", "|"), (",", ",")])
def test_each_delimiter_value_is_accepted(alice_api, value, separator):
    content = f"prompt{separator}output\nq{separator}a\n".encode()
    assert records(create(alice_api, content=content, delimiter=value)) == [{"prompt": "q", "output": "a"}]


def test_an_unknown_delimiter_is_422(alice_api):
    assert create(alice_api, delimiter=":").status_code == 422


def test_a_json_array_says_to_send_json_lines(alice_api):
    detail = file_error(create(alice_api, content=b' [{"prompt": "q"}]', filename="data.json"))
    assert "JSON array" in detail and "JSON Lines" in detail


def test_a_json_body_is_415_naming_multipart(alice_api):
    response = alice_api.post("/api/v1/datasets", {"selected_metrics": METRICS}, format="json")
    detail = file_error(response, 415)
    assert "multipart/form-data" in detail and "application/json" in detail and "JSON Lines" in detail


def test_a_raw_csv_body_is_415_naming_multipart(alice_api):
    response = alice_api.generic("POST", "/api/v1/datasets", b"prompt\nq\n", content_type="text/csv")
    detail = file_error(response, 415)
    assert "multipart/form-data" in detail and "text/csv" in detail and "-F file=@data.csv" in detail


# Excel workbooks.


def test_an_xlsx_workbook_is_read_from_its_first_sheet(alice_api):
    content = xlsx_bytes(
        ["Prompt", "Golden Answer", "notes"], ["q1", 3, True], [], ["q2", 2.5, None], [None, "only golden"], sheets=2
    )
    response = create(alice_api, content=content, filename="book.xlsx")
    assert records(response) == [
        {"prompt": "q1", "golden_answer": "3"},
        {"prompt": "q2", "golden_answer": "2.5"},
        {"prompt": None, "golden_answer": "only golden"},
    ]
    assert ignored(response) == ["notes"]
    assert body(response)["name"] == "book"


def test_an_xlsx_renamed_to_csv_is_still_read_as_a_workbook(alice_api):
    response = create(alice_api, content=xlsx_bytes(["prompt"], ["hello"]), filename="export.csv")
    assert records(response) == [{"prompt": "hello"}]


def test_xlsx_dates_and_whole_numbers_read_as_a_person_would(alice_api):
    import datetime

    content = xlsx_bytes(["prompt", "output"], [datetime.datetime(2024, 3, 1), 7.0], ["at", 1e-3])
    assert records(create(alice_api, content=content)) == [
        {"prompt": "2024-03-01", "output": "7"},
        {"prompt": "at", "output": "0.001"},
    ]


def test_xlsx_value_beyond_the_header_is_a_400_naming_the_row(alice_api):
    content = xlsx_bytes(["prompt", "output"], ["q", "a"], ["q", "a", "stray"])
    assert body(create(alice_api, content=content))["errors"] == {
        "file": ["Line 3: expected 2 fields like the header, found 3."]
    }
    assert_nothing_stored()


def test_xlsx_keeps_the_limits(alice_api, settings):
    settings.MAX_DATASET_ROWS = 2
    payload = body(create(alice_api, content=xlsx_bytes(["prompt"], ["a"], ["b"], ["c"])))
    assert payload["errors"] == {"file": ["Line 4: the file has more than 2 data rows (MAX_DATASET_ROWS)."]}
    assert payload["detail"].startswith("Invalid Excel workbook: ")


def test_an_empty_workbook_is_a_400(alice_api):
    assert "empty" in file_error(create(alice_api, content=xlsx_bytes()))


def test_a_damaged_workbook_is_a_400_not_a_500(alice_api):
    content = xlsx_bytes(["prompt"], ["a"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, b"<broken" if item.filename == "xl/worksheets/sheet1.xml" else data)
    detail = file_error(create(alice_api, content=buffer.getvalue()))
    assert "could not be read" in detail
    assert_nothing_stored()


# JSON Lines.


def test_json_lines_are_read_with_keys_as_headers(alice_api):
    content = (
        b'{"Prompt": "q1", "output": "a1", "golden_answer": {"k": [1, 2]}, "extra": 1}\n'
        b"\n"
        b'{"Prompt": "q2", "output": 42, "golden_answer": null}\r\n'
        b'{"Prompt": "", "output": true}\n'
        b"{}"
    )
    response = create(alice_api, content=content, filename="rows.jsonl")
    assert records(response) == [
        {"prompt": "q1", "output": "a1", "golden_answer": '{"k":[1,2]}'},
        {"prompt": "q2", "output": "42", "golden_answer": None},
        {"prompt": None, "output": "true", "golden_answer": None},
        {"prompt": None, "output": None, "golden_answer": None},
    ]
    assert ignored(response) == ["extra"]
    assert body(response)["name"] == "rows"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"prompt": "a"}\n{"prompt": \n', "Line 2: not valid JSON"),
        (b'{"prompt": "a"}\n["b"]\n', "Line 2: expected a JSON object, found list"),
        (b'{"prompt": "a"}\n{"prompt": "b", "new": 1}\n', "Line 2: the key 'new' is not a key of the first line"),
        (b'{"prompt": "a"}\n{"prompt": "b\\u0000"}\n', "Line 2: contains a NUL character."),
        (b'{"prompt": "a"}\n{"prompt": "b", "prompt": "c"}\n', "Line 2: not valid JSON: duplicate key 'prompt'"),
        (b'{"prompt": "a"}\n{"prompt": "\xff"}\n', "Line 2: not valid UTF-8"),
        (b'{"note": "a"}\n', "No record field found"),
    ],
)
def test_bad_json_lines_are_a_400_naming_the_line(alice_api, content, message):
    payload = body(create(alice_api, content=content))
    assert payload["detail"].startswith("Invalid JSON Lines file: ")
    assert message in payload["errors"]["file"][0], payload
    assert_nothing_stored()


def test_json_lines_keep_the_cell_limit(alice_api, settings):
    settings.MAX_CELL_CHARS = 6
    payload = body(create(alice_api, content=b'{"prompt": "ok"}\n{"prompt": "toolong"}\n'))
    assert payload["errors"] == {"file": ["Line 2: the cell in column 1 has more than 6 characters (MAX_CELL_CHARS)."]}


def test_a_csv_named_jsonl_is_read_as_csv(alice_api):
    assert records(create(alice_api, content=b"prompt\nq\n", filename="x.jsonl")) == [{"prompt": "q"}]


def test_an_upload_keeps_the_file_part_even_sent_as_plain_text(alice_api):
    data = {"file": csv_file(b"prompt\nq\n"), "selected_metrics": json.dumps(METRICS), "delimiter": ""}
    assert alice_api.post("/api/v1/datasets", data, format="multipart").status_code == 201


def test_a_replayed_upload_keeps_its_ignored_columns_header(alice_api):
    def post():
        data = {"file": csv_file(b"prompt,notes\nq,n\n"), "selected_metrics": json.dumps(METRICS)}
        return alice_api.post("/api/v1/datasets", data, format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1")

    first = post()
    assert body(first)["name"] == "support_qa"  # read to the end: the answer is kept as it is delivered
    again = post()
    assert again["Idempotent-Replayed"] == "true"
    assert ignored(first) == ignored(again) == ["notes"]
    assert Dataset.objects.count() == 1
