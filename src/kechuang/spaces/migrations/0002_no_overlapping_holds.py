"""The database itself refuses two holding periods of one unit that overlap (docs/design.md §3.7: never two
holders at once).

- PostgreSQL: ``btree_gist`` and an exclusion constraint per table on
  ``(unit_id WITH =, daterange(start_date, end_date, '[]') WITH &&)`` for the holding statuses.
- SQLite: BEFORE INSERT / BEFORE UPDATE triggers that raise (an IntegrityError for Django).

Periods include both ends. Reservations hold while ``active``; leases while ``active`` or ``ended``
(an ended lease's ``end_date`` is its real last day). Written by hand because Django has no portable
operation for either; each step checks the database vendor.
"""

from django.db import migrations

TABLES = {
    "spaces_reservation": ("reservation_no_overlap", "('active')"),
    "spaces_lease": ("lease_no_overlap", "('active', 'ended')"),
}


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, (name, statuses) in TABLES.items():
        if vendor == "postgresql":
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
            schema_editor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist "
                f"(unit_id WITH =, daterange(start_date, end_date, '[]') WITH &&) "
                f"WHERE (status IN {statuses})"
            )
        elif vendor == "sqlite":
            for event in ("INSERT", "UPDATE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} "
                    f"WHEN NEW.status IN {statuses} BEGIN "
                    f"SELECT RAISE(ABORT, '{name}: 该房源在此期间已被预订') WHERE EXISTS ("
                    f"SELECT 1 FROM {table} AS other WHERE other.unit_id = NEW.unit_id "
                    f"AND other.id IS NOT NEW.id AND other.status IN {statuses} "
                    f"AND other.start_date <= NEW.end_date AND NEW.start_date <= other.end_date); END"
                )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, (name, _statuses) in TABLES.items():
        if vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
        elif vendor == "sqlite":
            for event in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event}")


class Migration(migrations.Migration):
    dependencies = [("spaces", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
