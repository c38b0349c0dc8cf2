"""Dataset writes refuse what the database cannot store and what is past the limits, naming where, storing nothing."""

import json

import pytest

from datasets.models import Dataset, Record
from datasets.tests.helpers import body, create
from datasets.tests.test_update_delete_dataset import state

NUL_MESSAGE = "must not contain U+0000 (NUL) or an unpaired surrogate: the database cannot store them."


def error(response, status: int) -> dict:
    assert response.status_code == status, body(response)
    payload = body(response)
    # The API's error shape, with a one-line reason: never a debug page or a crash report.
    assert set(payload) <= {"detail", "errors"} and isinstance(payload["detail"], str), payload
    assert payload["detail"].strip() and "\n" not in payload["detail"], payload
    return payload


def assert_nothing_stored():
    assert Dataset.objects.count() == 0
    assert Record.objects.count() == 0


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# POST /datasets: form fields and JSON parts.


def test_nul_in_the_name_is_422_naming_it(alice_api):
    payload = error(create(alice_api, name="a\x00b"), 422)
    assert payload["errors"] == {"name": [NUL_MESSAGE]}
    assert_nothing_stored()


def test_nul_written_raw_into_a_json_part_is_422_naming_the_part(alice_api):
    payload = error(create(alice_api, selected_metrics='{"1": {"threshold": 70}}\x00'), 422)
    assert payload["errors"] == {"selected_metrics": [NUL_MESSAGE]}
    assert_nothing_stored()


def test_nul_escaped_in_column_mappings_is_400_naming_its_path(alice_api):
    payload = error(create(alice_api, column_mappings='{"prompt": "q\\u0000"}'), 400)
    assert list(payload["errors"]) == ["column_mappings.prompt"]
    assert NUL_MESSAGE in payload["errors"]["column_mappings.prompt"][0]
    assert_nothing_stored()


def test_nul_in_a_column_mappings_key_is_400_naming_it_escaped(alice_api):
    payload = error(create(alice_api, column_mappings='{"pro\\u0000mpt": "q"}'), 400)
    assert list(payload["errors"]) == ["column_mappings.pro\\u0000mpt"]
    assert_nothing_stored()


def test_nul_in_a_metric_argument_is_400_naming_its_path(alice_api):
    metrics = {"1": {"threshold": 70, "metric_args": None}, "6": {"threshold": 70, "metric_args": {"x": "\x00"}}}
    payload = error(create(alice_api, metrics=metrics), 400)
    assert list(payload["errors"]) == ["selected_metrics.6.metric_args.x"]
    assert_nothing_stored()


@pytest.mark.parametrize("depth", [65, 100_000])
def test_a_json_part_nested_too_deep_is_400_naming_the_part(alice_api, depth):
    text = '{"1": {"threshold": 70, "metric_args": {"deep": ' + nested(depth) + "}}}"
    payload = error(create(alice_api, selected_metrics=text), 400)
    [where] = payload["errors"]
    assert where.startswith("selected_metrics.1.metric_args.deep.0")
    assert "MAX_JSON_DEPTH" in payload["detail"]
    assert_nothing_stored()


def test_a_json_part_over_max_json_part_bytes_is_413_naming_it(alice_api, settings):
    settings.MAX_JSON_PART_BYTES = 150
    mappings = json.dumps({"prompt": "p" * 150})
    payload = error(create(alice_api, column_mappings=mappings), 413)
    assert payload["errors"] == {"column_mappings": ["must be at most 150 bytes (MAX_JSON_PART_BYTES)."]}
    assert_nothing_stored()


def test_a_json_part_counts_bytes_not_characters(alice_api, settings):
    metrics = {"6": {"threshold": 70, "metric_args": {"custom_exclude_pattern": "[éü]"}}}
    text = json.dumps(metrics, ensure_ascii=False)
    assert len(text.encode()) - 1 > len(text)
    settings.MAX_JSON_PART_BYTES = len(text.encode())
    assert create(alice_api, selected_metrics=text).status_code == 201
    settings.MAX_JSON_PART_BYTES = len(text.encode()) - 1
    assert error(create(alice_api, selected_metrics=text, name="again"), 413)["errors"].keys() == {"selected_metrics"}


def test_a_utf16_file_with_nul_is_400_naming_the_line(alice_api):
    content = "\ufeffprompt\nfine\nbad\x00\n".encode("utf-16-le")
    payload = error(create(alice_api, content=content), 400)
    assert payload["errors"] == {"file": ["Line 3: contains a NUL character."]}
    assert_nothing_stored()


# CSV limits: found by the streaming parser, named by line; the one transaction leaves nothing behind.


def test_more_rows_than_max_dataset_rows_is_400_naming_the_line(alice_api, settings):
    settings.MAX_DATASET_ROWS = 3
    payload = error(create(alice_api, content=b"prompt\na\nb\nc\nd\ne\n"), 400)
    assert payload["errors"] == {"file": ["Line 5: the file has more than 3 data rows (MAX_DATASET_ROWS)."]}
    assert_nothing_stored()


def test_exactly_max_dataset_rows_is_accepted(alice_api, settings):
    settings.MAX_DATASET_ROWS = 3
    assert body(create(alice_api, content=b"prompt\na\nb\nc\n"))["records"][2]["prompt"] == "c"


def test_more_columns_than_max_csv_columns_is_400_naming_the_header(alice_api, settings):
    settings.MAX_CSV_COLUMNS = 2
    payload = error(create(alice_api, content=b"prompt,output,other\na,b,c\n"), 400)
    assert payload["errors"] == {
        "file": ["Line 1: the header has 3 columns; at most 2 are accepted (MAX_CSV_COLUMNS)."]
    }
    assert_nothing_stored()


def test_a_cell_longer_than_max_cell_chars_is_400_naming_line_and_column(alice_api, settings):
    settings.MAX_CELL_CHARS = 7
    payload = error(create(alice_api, content=b"prompt,output\nfine,ok\nok,too long\n"), 400)
    assert payload["errors"] == {"file": ["Line 3: the cell in column 2 has more than 7 characters (MAX_CELL_CHARS)."]}
    assert_nothing_stored()


def test_a_long_cell_in_an_ignored_column_is_refused_too(alice_api, settings):
    settings.MAX_CELL_CHARS = 7
    payload = error(create(alice_api, content=b"prompt,unused\nok,too long\n"), 400)
    assert "column 2" in payload["errors"]["file"][0]


def test_a_cell_of_exactly_max_cell_chars_is_accepted(alice_api, settings):
    settings.MAX_CELL_CHARS = 7
    assert body(create(alice_api, content=b"prompt\nseven!!\n"))["records"][0]["prompt"] == "seven!!"


# PUT /datasets/{id}: the JSON body.


@pytest.fixture
def alice_dataset(alice_api):
    return body(create(alice_api, name="Mine"))


def put_raw(client, dataset_id, text: str):
    return client.put(f"/api/v1/datasets/{dataset_id}", data=text, content_type="application/json")


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"name": "a\x00b"}, "name"),
        ({"column_mappings": {"prompt": "q\x00"}}, "column_mappings.prompt"),
        (
            {"selected_metrics": {"1": {"threshold": 70, "metric_args": {"x": ["ok", "\x00"]}}}},
            "selected_metrics.1.metric_args.x.1",
        ),
    ],
)
def test_nul_anywhere_in_the_body_is_422_naming_its_path(alice_api, alice_dataset, fields, where):
    before = state()
    payload = error(put_raw(alice_api, alice_dataset["id"], json.dumps(fields)), 422)
    assert payload["errors"] == {where: [NUL_MESSAGE]}
    assert state() == before


@pytest.mark.parametrize("depth", [65, 100_000])
def test_a_body_nested_too_deep_is_422_not_500(alice_api, alice_dataset, depth):
    before = state()
    payload = error(put_raw(alice_api, alice_dataset["id"], '{"column_mappings": ' + nested(depth) + "}"), 422)
    [where] = payload["errors"]
    assert where == "column_mappings" + ".0" * 63
    assert state() == before


def test_a_body_over_max_json_body_bytes_is_413(alice_api, alice_dataset, settings):
    settings.MAX_JSON_BODY_BYTES = 50
    before = state()
    payload = error(put_raw(alice_api, alice_dataset["id"], json.dumps({"name": "n" * 60})), 413)
    assert "MAX_JSON_BODY_BYTES" in payload["detail"]
    assert state() == before
