import json

import orjson
import psycopg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from datasets.models import CUSTOM_TYPE_NAME, Dataset, DatasetType

BASIC_CSV = (
    b"prompt,output,golden_answer\n"
    b"What is the refund policy?,Refunds are available within 30 days.,30-day refund window.\n"
)
METRICS = {
    "1": {"threshold": 70, "metric_args": None},
    "2": {"threshold": 80, "metric_args": {"ignore_extra_keys": True}},
}


def csv_file(content: bytes = BASIC_CSV, name: str = "support_qa.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def body(response):
    """The JSON body of a plain or streamed response."""
    if not hasattr(response, "parsed_body"):
        content = b"".join(response.streaming_content) if response.streaming else response.content
        response.parsed_body = orjson.loads(content)
    return response.parsed_body


def create(client, *, content: bytes = BASIC_CSV, filename: str = "support_qa.csv", metrics=None, **parts):
    data = {
        "file": csv_file(content, filename),
        "selected_metrics": json.dumps(METRICS if metrics is None else metrics),
    }
    for key, value in parts.items():
        data[key] = value if isinstance(value, str) else json.dumps(value)
    return client.post("/api/v1/datasets", data, format="multipart")


def another_connection(*, autocommit: bool = False) -> psycopg.Connection:
    """A second connection to the test database (PostgreSQL): another writer, as the server sees one."""
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname=settings["NAME"],
        autocommit=autocommit,
    )  # fmt: skip


def empty_dataset(user, name: str = "empty") -> Dataset:
    """A CUSTOM dataset row with no records yet, written straight to the table."""
    return Dataset.objects.create(
        name=name, user=user, author_email=user.email, dataset_type=DatasetType.objects.get(name=CUSTOM_TYPE_NAME)
    )
