"""Every record belongs to an existing dataset and goes with it, held by the database itself (migration 0007:
triggers in place of a foreign key), on PostgreSQL and on SQLite."""

import pytest
from django.db import IntegrityError, connection, transaction

from datasets.ingest import write_records
from datasets.models import Dataset, Record
from datasets.tests.helpers import another_connection, empty_dataset
from runs.tests.processes import needs_postgres

ROW = ("a prompt", None, None, "an output", "an answer")
TRIGGERS = {
    "postgresql": {"datasets_record_dataset_exists", "datasets_dataset_deleted", "datasets_dataset_id_kept"},
    "sqlite": {
        "datasets_record_dataset_exists",
        "datasets_record_dataset_exists_on_update",
        "datasets_dataset_deleted",
        "datasets_dataset_id_kept",
    },
}


def missing_dataset_id() -> int:
    return (Dataset.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_the_checks_are_installed():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
                " AND tgrelid IN ('datasets_record'::regclass, 'datasets_dataset'::regclass)"
            )
        else:  # a table rebuilt by a later SQLite migration would silently lose them
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert TRIGGERS[connection.vendor] <= {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db
def test_a_record_of_no_dataset_is_refused(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Record.objects.create(dataset_id=missing_dataset_id(), prompt="orphan")
    with pytest.raises(IntegrityError), transaction.atomic():
        write_records(dataset_id=missing_dataset_id(), user_id=alice.pk, rows=[ROW, ROW])
    assert not Record.objects.exists()


@pytest.mark.django_db
def test_a_record_cannot_move_to_no_dataset(alice):
    dataset = empty_dataset(alice)
    write_records(dataset_id=dataset.pk, user_id=alice.pk, rows=[ROW])
    with pytest.raises(IntegrityError), transaction.atomic():
        Record.objects.filter(dataset_id=dataset.pk).update(dataset_id=missing_dataset_id())
    assert Record.objects.filter(dataset_id=dataset.pk).count() == 1


@pytest.mark.django_db
def test_deleting_a_dataset_in_sql_takes_its_records_and_only_them(alice):
    kept, deleted = empty_dataset(alice, "kept"), empty_dataset(alice, "deleted")
    for dataset in (kept, deleted):
        write_records(dataset_id=dataset.pk, user_id=alice.pk, rows=[ROW] * 3)
    raw("DELETE FROM datasets_dataset WHERE id = %s", [deleted.pk])
    assert list(Record.objects.values_list("dataset_id", flat=True)) == [kept.pk] * 3


@pytest.mark.django_db
def test_a_dataset_deleted_earlier_in_the_same_transaction_takes_no_more_records(alice):
    dataset = empty_dataset(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        write_records(dataset_id=dataset.pk, user_id=alice.pk, rows=[ROW])  # looked up, and noted
        raw("DELETE FROM datasets_dataset WHERE id = %s", [dataset.pk])
        write_records(dataset_id=dataset.pk, user_id=alice.pk, rows=[ROW])
    assert Record.objects.filter(dataset_id=dataset.pk).count() == 0


@pytest.mark.django_db
def test_a_dataset_id_never_changes(alice):
    dataset = empty_dataset(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw("UPDATE datasets_dataset SET id = %s WHERE id = %s", [missing_dataset_id(), dataset.pk])
    raw("UPDATE datasets_dataset SET id = id, name = 'renamed' WHERE id = %s", [dataset.pk])
    assert Dataset.objects.get(pk=dataset.pk).name == "renamed"


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dataset_receiving_records_cannot_be_deleted_until_they_commit(alice):
    """As with a foreign key: the writer holds the dataset FOR KEY SHARE, so a delete waits for it."""
    dataset = empty_dataset(alice)
    writer = another_connection()
    try:
        writer.execute(
            "INSERT INTO datasets_record (dataset_id, prompt, created_at) VALUES (%s, 'arriving', now())", [dataset.pk]
        )  # not committed
        with pytest.raises(Exception, match="lock timeout"), transaction.atomic():
            raw("SET LOCAL lock_timeout = '200ms'")
            raw("DELETE FROM datasets_dataset WHERE id = %s", [dataset.pk])
        writer.commit()
    finally:
        writer.close()
    raw("DELETE FROM datasets_dataset WHERE id = %s", [dataset.pk])  # once committed, the delete takes the records
    assert not Record.objects.exists()
