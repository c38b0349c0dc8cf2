"""Parallel uploads racing for one name: the database's unique constraint decides, the losers get a 400."""

import threading

import pytest
from django.db import connection

from aegis.testing import requires_postgres
from conftest import client_for
from datasets.models import Dataset
from datasets.tests.helpers import body, create

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RACERS = 6


def test_parallel_creates_with_one_name_yield_exactly_one_dataset(alice):
    clients = [client_for(alice) for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)
    responses = [None] * RACERS
    # Enough rows that every request is still inside its transaction when the others insert.
    content = b"prompt\n" + b"row\n" * 20_000

    def upload(index):
        try:
            barrier.wait()
            response = create(clients[index], name="Raced", content=content)
            responses[index] = (response.status_code, body(response))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in responses)
    assert statuses == [201] + [400] * (RACERS - 1)
    for status, payload in responses:
        if status == 400:
            assert "already exists" in payload["detail"]
    assert Dataset.objects.filter(name="Raced").count() == 1
    assert Dataset.objects.get(name="Raced").records.count() == 20_000
