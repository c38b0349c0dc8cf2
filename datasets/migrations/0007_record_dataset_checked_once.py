# Record.dataset keeps its meaning (every record belongs to an existing dataset, and goes with it) but the database
# checks it with triggers instead of a foreign key. The foreign key's check ran once per row, at commit: a third
# of a COPY's time (100,000 rows into the same table: 1.45 s with it, 1.12 s with these triggers, 1.03 s with
# neither; bench/ingest.py prints the same comparison). Here the dataset is looked up, and locked FOR KEY SHARE as
# a foreign key does, for the first record of each dataset in a transaction; the id is noted in a
# transaction-local setting, so the following rows of the same dataset cost a comparison.
#
# - A record whose dataset does not exist is refused (23503, an IntegrityError), on insert and on a change of
#   dataset_id. A dataset being deleted by another transaction is waited for, as with a foreign key.
# - Deleting a dataset deletes its records (Django's collector has usually done so already) and forgets the noted
#   id, so a record written later in the same transaction is looked up again. A dataset's id never changes.
# - SQLite (the embedded default) gets the same rules, checked on every row.
# - TRUNCATE fires no row trigger: only a whole-database flush truncates, and it empties both tables.
# datasets/tests/test_record_integrity.py holds these rules on both databases.

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL = [
    """
CREATE FUNCTION datasets_record_dataset_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.dataset_id IS NOT DISTINCT FROM nullif(current_setting('aegis.record_dataset', true), '')::bigint THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM datasets_dataset WHERE id = NEW.dataset_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format(
            'insert or update on table "datasets_record": dataset %s does not exist', NEW.dataset_id);
    END IF;
    PERFORM set_config('aegis.record_dataset', NEW.dataset_id::text, true);
    RETURN NEW;
END $$;
CREATE TRIGGER datasets_record_dataset_exists BEFORE INSERT OR UPDATE OF dataset_id ON datasets_record
    FOR EACH ROW EXECUTE FUNCTION datasets_record_dataset_exists();

CREATE FUNCTION datasets_dataset_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('aegis.record_dataset', '', true);
    DELETE FROM datasets_record WHERE dataset_id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER datasets_dataset_deleted AFTER DELETE ON datasets_dataset
    FOR EACH ROW EXECUTE FUNCTION datasets_dataset_deleted();

CREATE FUNCTION datasets_dataset_id_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE foreign_key_violation USING MESSAGE = format('the id of dataset %s cannot change', OLD.id);
END $$;
CREATE TRIGGER datasets_dataset_id_kept BEFORE UPDATE OF id ON datasets_dataset
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION datasets_dataset_id_kept();
"""
]

POSTGRESQL_REVERSE = [
    """
DROP TRIGGER datasets_dataset_id_kept ON datasets_dataset;
DROP FUNCTION datasets_dataset_id_kept();
DROP TRIGGER datasets_dataset_deleted ON datasets_dataset;
DROP FUNCTION datasets_dataset_deleted();
DROP TRIGGER datasets_record_dataset_exists ON datasets_record;
DROP FUNCTION datasets_record_dataset_exists();
"""
]

SQLITE = [
    """CREATE TRIGGER datasets_record_dataset_exists BEFORE INSERT ON datasets_record
    WHEN NOT EXISTS (SELECT 1 FROM datasets_dataset WHERE id = NEW.dataset_id)
    BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: the dataset does not exist'); END""",
    """CREATE TRIGGER datasets_record_dataset_exists_on_update BEFORE UPDATE OF dataset_id ON datasets_record
    WHEN NOT EXISTS (SELECT 1 FROM datasets_dataset WHERE id = NEW.dataset_id)
    BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: the dataset does not exist'); END""",
    """CREATE TRIGGER datasets_dataset_deleted AFTER DELETE ON datasets_dataset
    BEGIN DELETE FROM datasets_record WHERE dataset_id = OLD.id; END""",
    """CREATE TRIGGER datasets_dataset_id_kept BEFORE UPDATE OF id ON datasets_dataset WHEN OLD.id <> NEW.id
    BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: a dataset id cannot change'); END""",
]

SQLITE_REVERSE = [
    f"DROP TRIGGER {name}"
    for name in (
        "datasets_dataset_id_kept",
        "datasets_dataset_deleted",
        "datasets_record_dataset_exists_on_update",
        "datasets_record_dataset_exists",
    )
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise NotImplementedError(f"no record integrity triggers for {schema_editor.connection.vendor}")
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0006_record_user_without_db_constraint"),
    ]

    operations = [
        migrations.AlterField(
            model_name="record",
            name="dataset",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="records",
                to="datasets.dataset",
            ),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
