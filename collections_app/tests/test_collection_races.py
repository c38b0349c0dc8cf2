"""A collection deleted while datasets and runs are filed into it: every request gets a 2xx, 400 or 404, never a
500, the delete is never refused, and no row is left pointing at a collection that is gone.

PostgreSQL only (row locks; SQLite runs one writer at a time). The first tests pause one request inside its
transaction to make the interleaving certain; the last one races real threads many times.
"""

import threading
import time

import pytest
from django.db import connection

from aegis.testing import requires_postgres
from collections_app.models import DataCollection
from conftest import client_for
from datasets import services as upload_services
from datasets.models import Dataset
from datasets.tests.helpers import body, create
from runs.models import Run
from runs.tests.helpers import custom_run
from workspace import collection_services, dataset_services

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROWS = b"prompt,output,golden_answer\n" + b"q,a,a\n" * 50


class Paused:
    """Wraps a function so that its first call, in whichever thread, waits until released."""

    def __init__(self, function):
        self.function = function
        self.reached, self.release = threading.Event(), threading.Event()
        self._first = threading.Lock()

    def __call__(self, *args, **kwargs):
        if self._first.acquire(blocking=False):
            self.reached.set()
            assert self.release.wait(20)
        return self.function(*args, **kwargs)


class InThread:
    """A request run on its own thread (and so its own database connection)."""

    def __init__(self, call):
        self.response = None
        self._thread = threading.Thread(target=self._run, args=(call,))
        self._thread.start()

    def _run(self, call):
        try:
            self.response = call()
        finally:
            connection.close()

    def done(self, timeout: float = 0) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()


def new_collection(client, name: str) -> int:
    response = client.post("/api/v1/data-collections", {"name": name}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def new_run(client) -> dict:
    data = [{"output": "a", "golden_answer": "a"}]
    response = custom_run(client, is_blocking=True, evaluations=[{"metrics": ["exact_match"], "data": data}])
    assert response.status_code == 201, body(response)
    return body(response)


def delete(client, collection_id: int):
    return client.delete(f"/api/v1/data-collections/{collection_id}")


def assert_nothing_points_at_a_missing_collection() -> None:
    existing = set(DataCollection.objects.values_list("pk", flat=True))
    assert set(Dataset.objects.exclude(data_collection=None).values_list("data_collection_id", flat=True)) <= existing
    assert set(Run.objects.exclude(data_collection=None).values_list("data_collection_id", flat=True)) <= existing


def test_a_delete_waits_for_an_upload_into_the_collection_then_detaches_it(alice, monkeypatch):
    uploader, deleter = client_for(alice), client_for(alice)
    collection_id = new_collection(uploader, "Doomed")
    paused = Paused(upload_services.write_records)
    monkeypatch.setattr(upload_services, "write_records", paused)

    upload = InThread(lambda: create(uploader, name="Filed", content=ROWS, data_collection_id=str(collection_id)))
    assert paused.reached.wait(20)  # the upload holds the collection, its records not yet written
    removal = InThread(lambda: delete(deleter, collection_id))
    assert not removal.done(1.0), "the delete did not wait for the upload"
    paused.release.set()

    assert upload.done(20) and removal.done(20)
    assert upload.response.status_code == 201, body(upload.response)
    assert removal.response.status_code == 204
    assert Dataset.objects.get(name="Filed").data_collection_id is None
    assert Dataset.objects.get(name="Filed").records.count() == 50
    assert_nothing_points_at_a_missing_collection()


@pytest.mark.parametrize("attach", ["upload", "move dataset", "move run"])
def test_filing_into_a_collection_being_deleted_waits_then_answers_not_found(attach, alice, monkeypatch):
    client, deleter = client_for(alice), client_for(alice)
    collection_id = new_collection(client, "Doomed")
    dataset = body(create(client, name="Loose", content=ROWS))
    run = new_run(client)
    paused = Paused(collection_services.detach_datasets)
    monkeypatch.setattr(collection_services, "detach_datasets", paused)

    removal = InThread(lambda: delete(deleter, collection_id))
    assert paused.reached.wait(20)  # the delete holds the collection
    if attach == "upload":
        call = lambda: create(client, name="Late", content=ROWS, data_collection_id=str(collection_id))  # noqa: E731
    elif attach == "move dataset":
        call = lambda: client.put(  # noqa: E731
            f"/api/v1/datasets/{dataset['id']}", {"data_collection_id": collection_id}, format="json"
        )
    else:
        call = lambda: client.put(  # noqa: E731
            f"/api/v1/runs/{run['id']}", {"data_collection_id": collection_id}, format="json"
        )
    filing = InThread(call)
    assert not filing.done(1.0), "the request did not wait for the delete"
    paused.release.set()

    assert removal.done(20) and filing.done(20)
    assert removal.response.status_code == 204
    detail = body(filing.response)["detail"]
    assert filing.response.status_code == {"upload": 404, "move dataset": 400, "move run": 404}[attach], detail
    assert f"Data collection {collection_id} not found" in detail
    assert "already exists" not in detail
    assert not Dataset.objects.filter(name="Late").exists()
    assert Dataset.objects.get(pk=dataset["id"]).data_collection_id is None
    assert Run.objects.get(pk=run["id"]).data_collection_id is None
    assert_nothing_points_at_a_missing_collection()


def test_a_delete_waits_for_a_dataset_moving_in_then_detaches_it(alice, monkeypatch):
    client, deleter = client_for(alice), client_for(alice)
    collection_id = new_collection(client, "Doomed")
    dataset = body(create(client, name="Mover", content=ROWS))
    paused = Paused(dataset_services.owner_runs_follow_datasets)
    monkeypatch.setattr(dataset_services, "owner_runs_follow_datasets", paused)

    move = InThread(
        lambda: client.put(f"/api/v1/datasets/{dataset['id']}", {"data_collection_id": collection_id}, format="json")
    )
    assert paused.reached.wait(20)  # the move holds the collection and has written the dataset
    removal = InThread(lambda: delete(deleter, collection_id))
    assert not removal.done(1.0), "the delete did not wait for the move"
    paused.release.set()

    assert move.done(20) and removal.done(20)
    assert move.response.status_code == 200
    assert removal.response.status_code == 204
    assert Dataset.objects.get(pk=dataset["id"]).data_collection_id is None
    assert_nothing_points_at_a_missing_collection()


ROUNDS = 12


def test_racing_deletes_and_attaches_never_fail_and_leave_consistent_data(alice):
    clients = [client_for(alice) for _ in range(4)]
    statuses: dict[str, set[int]] = {"delete": set(), "upload": set(), "move dataset": set(), "move run": set()}
    messages, uploaded = [], 0

    for round_number in range(ROUNDS):
        collection_id = new_collection(clients[0], f"Round {round_number}")
        dataset = body(create(clients[0], name=f"Loose {round_number}", content=ROWS))
        run = new_run(clients[0])
        barrier = threading.Barrier(4)

        def go(name, call, client, barrier=barrier, delay=0.002 * (round_number % 5)):
            def request():
                barrier.wait()
                if name != "delete":
                    time.sleep(delay)  # spread the arrivals around the delete's commit
                return call(client)

            return name, InThread(request)

        racers = [
            go("delete", lambda c, cid=collection_id: delete(c, cid), clients[0]),
            go(
                "upload",
                lambda c, cid=collection_id, n=round_number: create(
                    c, name=f"Raced {n}", content=ROWS, data_collection_id=str(cid)
                ),
                clients[1],
            ),
            go(
                "move dataset",
                lambda c, cid=collection_id, d=dataset["id"]: c.put(
                    f"/api/v1/datasets/{d}", {"data_collection_id": cid}, format="json"
                ),
                clients[2],
            ),
            go(
                "move run",
                lambda c, cid=collection_id, r=run["id"]: c.put(
                    f"/api/v1/runs/{r}", {"data_collection_id": cid}, format="json"
                ),
                clients[3],
            ),
        ]
        for name, racer in racers:
            assert racer.done(60)
            statuses[name].add(racer.response.status_code)
            uploaded += name == "upload" and racer.response.status_code == 201
            if racer.response.status_code >= 400:
                messages.append(body(racer.response)["detail"])
        assert not DataCollection.objects.filter(pk=collection_id).exists()
        assert_nothing_points_at_a_missing_collection()

    assert statuses["delete"] == {204}
    assert statuses["upload"] <= {201, 404}
    assert statuses["move dataset"] <= {200, 400}
    assert statuses["move run"] <= {200, 404}
    assert not [message for message in messages if "already exists" in message or "refers to it" in message]
    # Every upload that answered 201 is stored whole, outside any collection now; the others left nothing.
    raced = Dataset.objects.filter(name__startswith="Raced")
    assert raced.count() == uploaded
    assert all(dataset.data_collection_id is None and dataset.record_count == 50 for dataset in raced)
    print(f"statuses over {ROUNDS} rounds: {statuses}")
