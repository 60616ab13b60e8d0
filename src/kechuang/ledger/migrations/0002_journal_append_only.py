"""On PostgreSQL the database itself refuses UPDATE and DELETE of journal entries, journal lines and
postings (docs/reliability.md G: append-only journal). Row-level triggers only: Django's test flush empties the
tables with TRUNCATE, which they do not see. SQLite gets no trigger (its flush deletes rows one by one);
there the models refuse ``save`` on an existing row and ``delete``, and the reconciliation checks the rest.
"""

from django.db import migrations

TABLES = ("ledger_journalentry", "ledger_journalline", "ledger_posting")

POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'ledger journal is append-only (% on %)', TG_OP, TG_TABLE_NAME
             USING ERRCODE = 'integrity_constraint_violation'; END; $$ LANGUAGE plpgsql;""",
    *[f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
          FOR EACH ROW EXECUTE FUNCTION ledger_append_only();""" for table in TABLES],
]
POSTGRES_DOWN = [
    *[f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};" for table in TABLES],
    "DROP FUNCTION IF EXISTS ledger_append_only();",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(_run(POSTGRES_UP), _run(POSTGRES_DOWN))]
