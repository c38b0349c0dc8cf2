"""The five create endpoints, each as a request that can be sent again, and the rows it writes."""

import json
from dataclasses import dataclass
from typing import Any

from collections_app.models import DataCollection
from datasets.models import Dataset, Record
from datasets.tests.helpers import BASIC_CSV, METRICS, csv_file
from runs.models import Evaluation, Run
from runs.tests.helpers import make_dataset


@dataclass(frozen=True)
class Create:
    path: str
    models: tuple

    def body(self, context: dict, variant: str) -> dict[str, Any]:
        raise NotImplementedError

    def prepare(self, client) -> dict:
        return {}

    def send(self, client, context: dict, *, key: str | None = None, variant: str = "a", read: bool = True, **headers):
        """POSTs the request and, like a client that got its answer, reads the whole body (unless `read` is false)."""
        if key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        data = self.body(context, variant)
        kind = "multipart" if self.path == "/api/v1/datasets" else "json"
        response = client.post(self.path, data, format=kind, **headers)
        if read:
            content(response)
        return response

    def rows(self) -> tuple[int, ...]:
        return tuple(model.objects.count() for model in self.models)

    def location(self, created: dict) -> str:
        """Where the 201 says the object is: a run for the runs and for /evaluate."""
        if self.path == "/api/v1/evaluate":
            return f"/api/v1/runs/{created['run_id']}"
        base = "/api/v1/runs" if self.path.startswith("/api/v1/runs") else self.path
        return f"{base}/{created['id']}"


class DatasetCreate(Create):
    def body(self, context, variant):
        return {"file": csv_file(BASIC_CSV), "selected_metrics": json.dumps(METRICS), "name": f"Set {variant}"}


class CollectionCreate(Create):
    def body(self, context, variant):
        return {"name": f"Folder {variant}"}


class DatasetRunCreate(Create):
    def prepare(self, client):
        return {"dataset_id": make_dataset(client)["id"]}

    def body(self, context, variant):
        return {"dataset_id": context["dataset_id"], "alias": f"run {variant}", "is_blocking": True}


class CustomRunCreate(Create):
    def body(self, context, variant):
        rows = [{"output": "ok", "golden_answer": "ok"}]
        return {
            "alias": f"run {variant}",
            "is_blocking": True,
            "evaluations": [{"metrics": ["exact_match"], "data": rows}],
        }


class EvaluateCreate(Create):
    def body(self, context, variant):
        return {
            "metric_shortname": "word_ct_match",
            "output": f"three short {variant}",
            "metric_args": {"max_count": 5},
        }


CREATES = {
    "datasets": DatasetCreate("/api/v1/datasets", (Dataset, Record)),
    "data-collections": CollectionCreate("/api/v1/data-collections", (DataCollection,)),
    "runs/dataset": DatasetRunCreate("/api/v1/runs/dataset", (Run, Evaluation)),
    "runs/custom": CustomRunCreate("/api/v1/runs/custom", (Run, Evaluation)),
    "evaluate": EvaluateCreate("/api/v1/evaluate", (Run, Evaluation)),
}


def content(response) -> bytes:
    """The whole body of a plain or streamed response (read once: a stream is kept as it is read)."""
    if not hasattr(response, "whole_body"):
        response.whole_body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.whole_body
