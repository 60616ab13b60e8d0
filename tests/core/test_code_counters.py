"""Public codes: one counter table in core, numbered per module (ADR 0019), and the data migration that
merged the vouchers' and the challenges' counters into it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from kechuang.core.codes import last_numbers, next_code, set_last_numbers
from kechuang.core.models import CodeCounter

BEFORE = [
    ("core", "0004_worker_process"),
    ("vouchers", "0001_initial"),
    ("challenges", "0002_challenge_index_version"),
]
AFTER = [("vouchers", "0003_delete_codecounter"), ("challenges", "0004_delete_codecounter")]


@pytest.mark.django_db
def test_codes_count_per_module_prefix_and_year():
    assert next_code("vouchers", "QK", width=6, year=2026) == "QK-2026-000001"
    assert next_code("vouchers", "QK", width=6, year=2026) == "QK-2026-000002"
    assert next_code("challenges", "JS", width=5, year=2026) == "JS-2026-00001"
    assert next_code("vouchers", "QK", width=6, year=2027) == "QK-2027-000001"
    assert last_numbers("vouchers") == {("QK", 2026): 2, ("QK", 2027): 1}
    assert last_numbers("challenges", year=2027) == {}


@pytest.mark.django_db
def test_demo_counters_move_and_the_service_continues_after_them():
    set_last_numbers("challenges", {("JB", 2026): 41})
    assert next_code("challenges", "JB", width=4, year=2026) == "JB-2026-0042"


@pytest.mark.django_db(transaction=True)
def test_migration_copies_both_modules_counters_into_core():
    """The real migrations between the two states, applied in the graph's order to the real database: the
    modules' old counter tables are created from the historical state (they no longer exist), filled, then
    the data migrations copy them into core and the modules' own migrations drop them. Unapplying and
    re-applying every later migration of every app, as ``migrate`` back and forth would, shows nothing more
    about this copy and cost 40 s of CPU per pass (docs/adr/0017-test-suite-speed.md)."""
    loader = MigrationLoader(connection)
    before = set(loader.graph.forwards_plan(BEFORE[0]))
    for node in BEFORE[1:]:
        before |= set(loader.graph.forwards_plan(node))
    plan: list[tuple[str, str]] = []
    for node in AFTER:
        plan += [n for n in loader.graph.forwards_plan(node) if n not in before and n not in plan]
    # the copies run after core's table exists and before either module drops its own
    assert plan.index(("core", "0005_codecounter")) < plan.index(("vouchers", "0002_code_counters_to_core"))
    assert plan.index(("vouchers", "0002_code_counters_to_core")) < plan.index(AFTER[0])
    assert plan.index(("challenges", "0003_code_counters_to_core")) < plan.index(AFTER[1])

    state = loader.project_state(sorted(before))
    old = state.apps
    with connection.schema_editor() as editor:  # the tables the old migrations had made
        for app in ("vouchers", "challenges"):
            editor.create_model(old.get_model(app, "CodeCounter"))
    old.get_model("vouchers", "CodeCounter").objects.create(prefix="JS", year=2026, last=17)
    old.get_model("vouchers", "CodeCounter").objects.create(prefix="QZ", year=2025, last=300)
    old.get_model("challenges", "CodeCounter").objects.create(prefix="JS", year=2026, last=4)
    old.get_model("challenges", "CodeCounter").objects.create(prefix="JB", year=2026, last=9)
    CodeCounter.objects.all().delete()  # core's table as its own migration leaves it: empty

    for app, name in plan:
        migration = loader.graph.nodes[(app, name)]
        if (app, name) == ("core", "0005_codecounter"):  # its table is the current one: state only
            for operation in migration.operations:
                operation.state_forwards(app, state)
            continue
        with connection.schema_editor(atomic=migration.atomic) as editor:
            state = migration.apply(state, editor)

    rows = set(CodeCounter.objects.values_list("scope", "prefix", "year", "last"))
    assert rows == {
        ("vouchers", "JS", 2026, 17),
        ("vouchers", "QZ", 2025, 300),
        ("challenges", "JS", 2026, 4),
        ("challenges", "JB", 2026, 9),
    }
    tables = connection.introspection.table_names()
    assert "vouchers_codecounter" not in tables and "challenges_codecounter" not in tables
    assert next_code("vouchers", "QZ", width=6, year=2025) == "QZ-2025-000301"
    assert next_code("challenges", "JS", width=5, year=2026) == "JS-2026-00005"
