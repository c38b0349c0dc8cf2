"""Validate-only uploads (dry_run=true) and the dataset export that uploads back to the same records."""

import io
import json
from pathlib import Path

import openpyxl
import pytest

from datasets.models import Dataset, Record
from datasets.tests.helpers import body, create, csv_file

FIXTURE = Path(__file__).parent / "files" / "roundtrip.csv"


def dry_run(client, **parts):
    response = create(client, dry_run="true", **parts)
    assert response.status_code == 200, body(response)
    return response, body(response)


def download(client, dataset_id: int, **headers):
    return client.get(f"/api/v1/datasets/{dataset_id}/download", **headers)


def content(response) -> bytes:
    return b"".join(response.streaming_content)


# Dry run.


def test_a_clean_dry_run_reports_what_an_upload_would_do_and_stores_nothing(alice_api):
    response, report = dry_run(alice_api, content=b"Prompt,notes,Golden Answer\nq1,n,g1\n\nq2,,g2\n")
    assert report == {
        "valid": True,
        "format": "csv",
        "encoding": "utf-8",
        "delimiter": ",",
        "row_count": 2,
        "headers": ["Prompt", "notes", "Golden Answer"],
        "structure": ["prompt", "golden_answer"],
        "mapping": {"prompt": "Prompt", "golden_answer": "Golden Answer"},
        "ignored_columns": ["notes"],
        "name": "support_qa",
        "selected_metrics": {
            "1": {"threshold": 70, "metric_args": None},
            "2": {"threshold": 80, "metric_args": {"ignore_extra_keys": True}},
        },
        "problem_count": 0,
        "problems": [],
        "problems_truncated": False,
    }
    assert json.loads(response["Aegis-Ignored-Columns"]) == ["notes"]
    assert Dataset.objects.count() == 0 and Record.objects.count() == 0


def test_a_dry_run_lists_every_problem_with_line_and_column(alice_api, settings):
    settings.MAX_CELL_CHARS = 6
    settings.MAX_DATASET_ROWS = 4
    csv = b'prompt,output\nok,ok\nragged\nbad\xe9,x\nok,too long\nnul\x00,x\n"a"b,c\nlast,row\n'
    _, report = dry_run(
        alice_api,
        content=csv,
        metrics={"1": {"threshold": 101}},
        column_mappings='{"answer": "x"}',
    )
    assert report["valid"] is False
    problems = [(p["part"], p["line"], p["column"], p["message"][:40]) for p in report["problems"]]
    assert problems == [
        ("selected_metrics", None, None, "metric 1: threshold must be an integer f"),
        ("column_mappings", None, None, "'answer' is not a record field (expected"),
        ("file", 3, None, "expected 2 fields like the header, found"),
        ("file", 4, None, "not valid UTF-8 (byte 0xe9 at position 4"),
        ("file", 5, 2, "the cell in column 2 has more than 6 cha"),
        ("file", 6, None, "contains a NUL byte."),
        ("file", 6, None, "the file has more than 4 data rows (MAX_"),
        ("file", 7, None, "malformed CSV (',' expected after '\"')."),
    ]
    assert report["row_count"] == 7
    assert report["problem_count"] == 8
    assert report["selected_metrics"] is None
    assert Dataset.objects.count() == 0


def test_a_dry_run_reports_header_problems_and_still_reads_the_rows(alice_api):
    _, report = dry_run(alice_api, content=b"foo;bar\na;b\nc;d\n")
    [problem] = report["problems"]
    assert problem["line"] is None and "separated by semicolons" in problem["message"]
    assert report["row_count"] == 2 and report["structure"] == []


def test_a_dry_run_keeps_the_first_thousand_problems_and_counts_all(alice_api):
    _, report = dry_run(alice_api, content=b"prompt,output\n" + b"ragged\n" * 1500)
    assert report["problem_count"] == 1500
    assert len(report["problems"]) == 1000 and report["problems_truncated"] is True
    assert report["problems"][-1]["line"] == 1001


def test_a_dry_run_names_a_file_that_is_no_table(alice_api):
    _, report = dry_run(alice_api, content=b"%PDF-1.4\n")
    assert report["valid"] is False and report["format"] is None
    assert "PDF document" in report["problems"][0]["message"]


def test_a_dry_run_reports_a_taken_name_and_an_unknown_collection(alice_api):
    assert create(alice_api, name="Taken").status_code == 201
    _, report = dry_run(alice_api, name="taken", data_collection_id="999999")
    parts = {problem["part"]: problem["message"] for problem in report["problems"]}
    assert parts == {
        "data_collection_id": "Data collection 999999 not found.",
        "name": "A dataset named 'taken' already exists in your account.",
    }
    assert Dataset.objects.count() == 1


def test_a_dry_run_of_a_workbook_and_of_json_lines(alice_api):
    workbook = openpyxl.Workbook()
    workbook.active.append(["prompt", "output"])
    workbook.active.append(["q", "a"])
    workbook.active.append(["q", "a", "stray"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _, report = dry_run(alice_api, content=buffer.getvalue())
    assert (report["format"], report["encoding"], report["delimiter"], report["row_count"]) == ("xlsx", None, None, 2)
    assert [(p["line"], p["message"]) for p in report["problems"]] == [
        (3, "expected 2 fields like the header, found 3.")
    ]
    _, report = dry_run(alice_api, content=b'{"prompt": "a"}\n{"prompt": \n{"prompt": "c", "x": 1}\n')
    assert report["format"] == "jsonl" and report["row_count"] == 3
    assert [p["line"] for p in report["problems"]] == [2, 3]


def test_a_dry_run_still_refuses_a_malformed_request(alice_api):
    assert create(alice_api, dry_run="maybe").status_code == 422


# Export.


def test_export_round_trips_byte_for_byte(alice_api):
    original = FIXTURE.read_bytes()
    dataset = body(create(alice_api, content=original, filename="roundtrip.csv"))
    response = download(alice_api, dataset["id"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="roundtrip.csv"'
    assert content(response) == original


def test_an_exported_file_uploads_again_to_the_same_records(alice_api):
    csv = (
        b"Question,golden-answer,notes\n"
        b'"  spaced  ","multi\r\nline ""quoted"", comma",n\n'
        b",only golden,\n"
        b"caf\xc3\xa9 \xf0\x9f\x98\x80,,n\n"
    )
    first = body(create(alice_api, content=csv, column_mappings={"prompt": "question"}, name="first"))
    exported = content(download(alice_api, first["id"]))
    second = body(create(alice_api, content=exported, name="second"))
    fields = first["structure"]
    assert second["structure"] == fields == ["prompt", "golden_answer"]
    as_values = [[record[field] for field in fields] for record in first["records"]]
    assert [[record[field] for field in fields] for record in second["records"]] == as_values
    assert content(download(alice_api, second["id"])) == exported


def test_a_single_column_record_of_null_survives_the_round_trip(alice_api):
    csv = b'prompt\n""\nx\n'
    first = body(create(alice_api, content=csv, name="first"))
    exported = content(download(alice_api, first["id"]))
    assert exported == b'prompt\r\n""\r\nx\r\n'
    second = body(create(alice_api, content=exported, name="second"))
    assert [record["prompt"] for record in second["records"]] == [None, "x"]


def test_export_of_many_records_streams_them_all_in_order(alice_api, monkeypatch):
    from datasets import export

    monkeypatch.setattr(export, "EXPORT_CHUNK", 7)
    rows = [f"row {index}" for index in range(50)]
    dataset = body(create(alice_api, content=("prompt\n" + "\n".join(rows) + "\n").encode()))
    lines = content(download(alice_api, dataset["id"])).decode().split("\r\n")
    assert lines == ["prompt", *rows, ""]


def test_export_of_a_dataset_you_cannot_see_is_404(alice_api, carol_api):
    dataset = body(create(alice_api))
    response = download(carol_api, dataset["id"])
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_export_without_a_key_is_401(alice_api, anon_api):
    dataset = body(create(alice_api))
    assert download(anon_api, dataset["id"]).status_code == 401


@pytest.mark.parametrize("accept", ["text/csv", "text/csv; q=0.9"])
def test_asking_for_csv_on_the_dataset_redirects_to_the_download(alice_api, accept):
    dataset = body(create(alice_api))
    response = alice_api.get(f"/api/v1/datasets/{dataset['id']}", HTTP_ACCEPT=accept)
    assert response.status_code == 303
    assert response["Location"] == f"/api/v1/datasets/{dataset['id']}/download"


def test_asking_for_json_or_anything_still_gets_the_json(alice_api):
    dataset = body(create(alice_api))
    for accept in ["application/json", "text/csv, application/json", "*/*"]:
        response = alice_api.get(f"/api/v1/datasets/{dataset['id']}", HTTP_ACCEPT=accept)
        assert response.status_code == 200 and body(response)["id"] == dataset["id"]


def test_asking_for_csv_of_an_invisible_dataset_is_404(alice_api, carol_api):
    dataset = body(create(alice_api))
    assert carol_api.get(f"/api/v1/datasets/{dataset['id']}", HTTP_ACCEPT="text/csv").status_code == 404


def test_the_dry_run_answer_is_the_documented_component(alice_api, tmp_path):
    import yaml
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    components = yaml.safe_load(target.read_text())["components"]["schemas"]
    _, report = dry_run(alice_api, content=b"prompt,output\nragged\n")
    out, problem = components["DatasetDryRunOut"], components["UploadProblemOut"]
    assert list(report) == list(out["properties"]) and set(report) == set(out["required"])
    assert set(report["problems"][0]) == set(problem["properties"]) == set(problem["required"])
    create_responses = yaml.safe_load(target.read_text())["paths"]["/api/v1/datasets"]["post"]["responses"]
    assert create_responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/DatasetDryRunOut")
    assert "Aegis-Ignored-Columns" in create_responses["201"]["headers"]


def test_a_dry_run_of_a_workbook_damaged_mid_sheet_is_one_problem_not_a_500(alice_api):
    import zipfile

    workbook = openpyxl.Workbook()
    for row in (["prompt"], *[[f"q{index}"] for index in range(50)]):
        workbook.active.append(row)
    buffer, damaged = io.BytesIO(), io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # the sheet's XML breaks off after some rows
            target.writestr(item, data)
    _, report = dry_run(alice_api, content=damaged.getvalue())
    assert report["valid"] is False
    assert ["could not be read" in problem["message"] for problem in report["problems"]] == [True]


def test_export_gives_the_latest_version_only(alice_api):
    dataset = body(create(alice_api, content=b"prompt\nold\n"))
    response = alice_api.post(
        f"/api/v1/datasets/{dataset['id']}/versions",
        {"file": csv_file(b"prompt,output\nnew,answer\n")},
        format="multipart",
    )
    assert response.status_code == 201, body(response)
    assert content(download(alice_api, dataset["id"])) == b"prompt,output\r\nnew,answer\r\n"
