"""Shared steps for the runs tests: a real CSV upload, then real calls to the runs API."""

import csv
import io

from datasets.tests.helpers import body, create

# exact_match (1) and json_equal (2) with a row each that passes, fails, and cannot be scored.
QA_CSV = (
    b'prompt,output,golden_answer\nq1,"{""a"": 1}","{""a"": 1}"\nq2,"{""a"": 1, ""b"": 2}","{""a"": 1}"\nq3,not json,\n'
)
QA_METRICS = {"1": {"threshold": 70, "metric_args": None}, "2": {"threshold": 80, "metric_args": None}}


def make_dataset(client, *, content: bytes = QA_CSV, metrics=None, name: str = "QA set", **parts) -> dict:
    response = create(client, content=content, metrics=QA_METRICS if metrics is None else metrics, name=name, **parts)
    assert response.status_code == 201, body(response)
    return body(response)


def dataset_run(client, dataset_id: int, **fields):
    return client.post("/api/v1/runs/dataset", {"dataset_id": dataset_id, **fields}, format="json")


def custom_run(client, **fields):
    return client.post("/api/v1/runs/custom", fields, format="json")


def get_run(client, run_id):
    return client.get(f"/api/v1/runs/{run_id}")


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def by_metric(run: dict) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for evaluation in run["evaluations"]:
        grouped.setdefault(evaluation["metric"], []).append(evaluation)
    return grouped
