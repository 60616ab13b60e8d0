"""The database itself refuses two holding bookings of one instrument that overlap, and a holding booking
inside one of the instrument's maintenance blocks (docs/adr/0024-instruments.md; as spaces do it,
docs/adr/0008-space-holds.md).

Periods are half-open, ``[start_at, end_at)``: a booking ending at 10:00 and the next starting at 10:00
do not overlap. Holding statuses: requested, confirmed, checked_in, completed, no_show.

- PostgreSQL: ``btree_gist`` and an exclusion constraint on
  ``(instrument_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&)`` for the holding statuses; a
  booking against a maintenance block spans two tables, which an exclusion constraint cannot, so
  BEFORE INSERT OR UPDATE triggers on both tables raise (SQLSTATE 23P01, an IntegrityError for Django).
  The services lock the instrument row before writing either, so two racing writers are serialised.
- SQLite: BEFORE INSERT / BEFORE UPDATE triggers that raise (an IntegrityError for Django).

Written by hand because Django has no portable operation for either; each step checks the vendor.
"""

from django.db import migrations

HOLDING = "('requested', 'confirmed', 'checked_in', 'completed', 'no_show')"

PG_FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE instruments_booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist "
    "(instrument_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
    f"WHERE (status IN {HOLDING})",
    f"""CREATE FUNCTION instruments_booking_not_in_maintenance() RETURNS trigger AS $$
    BEGIN
        IF NEW.status IN {HOLDING} AND EXISTS (
            SELECT 1 FROM instruments_maintenanceblock m
            WHERE m.instrument_id = NEW.instrument_id
              AND m.start_at < NEW.end_at AND NEW.start_at < m.end_at) THEN
            RAISE EXCEPTION 'booking_in_maintenance: 该时段仪器维护中' USING ERRCODE = '23P01';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER booking_in_maintenance BEFORE INSERT OR UPDATE ON instruments_booking "
    "FOR EACH ROW EXECUTE FUNCTION instruments_booking_not_in_maintenance()",
    f"""CREATE FUNCTION instruments_maintenance_not_over_bookings() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM instruments_booking b
            WHERE b.instrument_id = NEW.instrument_id AND b.status IN {HOLDING}
              AND b.start_at < NEW.end_at AND NEW.start_at < b.end_at) THEN
            RAISE EXCEPTION 'maintenance_over_booking: 该时段已有预约' USING ERRCODE = '23P01';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER maintenance_over_booking BEFORE INSERT OR UPDATE ON instruments_maintenanceblock "
    "FOR EACH ROW EXECUTE FUNCTION instruments_maintenance_not_over_bookings()",
]

PG_BACKWARDS = [
    "DROP TRIGGER IF EXISTS maintenance_over_booking ON instruments_maintenanceblock",
    "DROP FUNCTION IF EXISTS instruments_maintenance_not_over_bookings()",
    "DROP TRIGGER IF EXISTS booking_in_maintenance ON instruments_booking",
    "DROP FUNCTION IF EXISTS instruments_booking_not_in_maintenance()",
    "ALTER TABLE instruments_booking DROP CONSTRAINT IF EXISTS booking_no_overlap",
]


def _sqlite_forwards() -> list[str]:
    statements = []
    for event in ("INSERT", "UPDATE"):
        low = event.lower()
        statements.append(
            f"CREATE TRIGGER booking_no_overlap_{low} BEFORE {event} ON instruments_booking "
            f"WHEN NEW.status IN {HOLDING} BEGIN "
            "SELECT RAISE(ABORT, 'booking_no_overlap: 该时段已被预约') WHERE EXISTS ("
            "SELECT 1 FROM instruments_booking AS other WHERE other.instrument_id = NEW.instrument_id "
            f"AND other.id IS NOT NEW.id AND other.status IN {HOLDING} "
            "AND other.start_at < NEW.end_at AND NEW.start_at < other.end_at); "
            "SELECT RAISE(ABORT, 'booking_in_maintenance: 该时段仪器维护中') WHERE EXISTS ("
            "SELECT 1 FROM instruments_maintenanceblock AS m WHERE m.instrument_id = NEW.instrument_id "
            "AND m.start_at < NEW.end_at AND NEW.start_at < m.end_at); END"
        )
        statements.append(
            f"CREATE TRIGGER maintenance_over_booking_{low} BEFORE {event} ON instruments_maintenanceblock "
            "BEGIN SELECT RAISE(ABORT, 'maintenance_over_booking: 该时段已有预约') WHERE EXISTS ("
            "SELECT 1 FROM instruments_booking AS b WHERE b.instrument_id = NEW.instrument_id "
            f"AND b.status IN {HOLDING} AND b.start_at < NEW.end_at AND NEW.start_at < b.end_at); END"
        )
    return statements


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in PG_FORWARDS:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        for statement in _sqlite_forwards():
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in PG_BACKWARDS:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        for name in ("booking_no_overlap", "maintenance_over_booking"):
            for event in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event}")


class Migration(migrations.Migration):
    dependencies = [("instruments", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
