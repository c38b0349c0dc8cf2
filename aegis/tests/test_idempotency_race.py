"""Parallel requests with one Idempotency-Key: the database's unique (user, key) constraint lets exactly one run."""

import threading

import orjson
import pytest
from django.db import connection

from aegis.testing import requires_postgres
from aegis.tests.creates import CREATES, content
from conftest import client_for
from datasets.models import Dataset, Record
from datasets.tests.helpers import csv_file

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RACERS = 6


def race(send) -> list:
    barrier = threading.Barrier(RACERS)
    responses = [None] * RACERS

    def attempt(index):
        try:
            barrier.wait()
            response = send(index)
            responses[index] = (response.status_code, response.has_header("Idempotent-Replayed"), content(response))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def assert_one_ran(responses):
    ran = [body for status, replayed, body in responses if status == 201 and not replayed]
    assert len(ran) == 1, [(status, replayed) for status, replayed, _ in responses]
    for status, _, body in responses:
        if status == 409:
            assert "is in progress" in orjson.loads(body)["detail"]
        else:
            assert status == 201 and body == ran[0]
    return orjson.loads(ran[0])


def test_parallel_uploads_with_one_key_create_one_dataset(alice):
    clients = [client_for(alice) for _ in range(RACERS)]
    # Enough rows that the first upload is still running when the others arrive.
    csv = b"prompt\n" + b"row\n" * 20_000

    def send(index):
        return clients[index].post(
            "/api/v1/datasets",
            {"file": csv_file(csv), "selected_metrics": '{"1": {"threshold": 70}}', "name": "Raced"},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="one-upload",
        )

    created = assert_one_ran(race(send))
    assert Dataset.objects.get().pk == created["id"]
    assert Record.objects.count() == 20_000


@pytest.mark.parametrize("endpoint", ["data-collections", "runs/custom", "evaluate"])
def test_parallel_json_creates_with_one_key_create_one_object(alice, endpoint):
    clients = [client_for(alice) for _ in range(RACERS)]
    create = CREATES[endpoint]

    assert_one_ran(race(lambda index: create.send(clients[index], {}, key="one-create")))
    assert create.rows()[0] == 1
