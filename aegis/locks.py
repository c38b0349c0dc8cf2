"""Row locks for writes that refer to, or cascade over, rows another request may delete or change meanwhile.

The order is always the same, so two requests never wait on each other in a circle: the collection first, then
its datasets, then runs. Writers that only point a row at a collection (an upload into it, a run filed in it) take
the lock a foreign key check takes, FOR KEY SHARE: they run side by side, while a delete of the collection, or a
cascade over its contents, waits for them, and they wait for it. Without the lock a delete could commit between a
writer's check and its commit, and the writer's foreign key would fail at commit (a 500), or the writer's row would
appear after the delete read the rows to detach, and the delete would fail instead.

SQLite has no row locks and runs one writer at a time; there the helpers only read.
"""

from django.db import connection, models

KEY_SHARE = "KEY SHARE"
NO_KEY_UPDATE = "NO KEY UPDATE"
UPDATE = "UPDATE"


def lock_row(model: type[models.Model], pk: int, *, strength: str = KEY_SHARE, fields: tuple[str, ...] = ()):
    """Lock one row until the transaction ends; its `fields` (default: the pk) as a dict, or None when it is gone.

    Must run inside transaction.atomic(). A row deleted by a transaction that committed while this one waited is
    gone here too (READ COMMITTED re-reads it), which is what lets the caller answer 404 instead of failing later.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("lock_row needs an open transaction")
    if strength not in (KEY_SHARE, NO_KEY_UPDATE, UPDATE):
        raise ValueError(strength)
    opts = model._meta
    columns = [opts.get_field(name).column for name in fields] or [opts.pk.column]
    quote = connection.ops.quote_name
    sql = f"SELECT {', '.join(map(quote, columns))} FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} = %s"
    if connection.vendor == "postgresql":
        sql += f" FOR {strength}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip(fields or ("pk",), row, strict=True))
