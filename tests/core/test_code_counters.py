"""Public codes: one counter table in core, numbered per module (ADR 0019), and the data migration that
merged the vouchers' and the challenges' counters into it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

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


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_migration_copies_both_modules_counters_into_core():
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        old.get_model("vouchers", "CodeCounter").objects.create(prefix="JS", year=2026, last=17)
        old.get_model("vouchers", "CodeCounter").objects.create(prefix="QZ", year=2025, last=300)
        old.get_model("challenges", "CodeCounter").objects.create(prefix="JS", year=2026, last=4)
        old.get_model("challenges", "CodeCounter").objects.create(prefix="JB", year=2026, last=9)

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

        rows = set(CodeCounter.objects.values_list("scope", "prefix", "year", "last"))
        assert rows == {
            ("vouchers", "JS", 2026, 17),
            ("vouchers", "QZ", 2025, 300),
            ("challenges", "JS", 2026, 4),
            ("challenges", "JB", 2026, 9),
        }
        assert next_code("vouchers", "QZ", width=6, year=2025) == "QZ-2025-000301"
        assert next_code("challenges", "JS", width=5, year=2026) == "JS-2026-00005"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        CodeCounter.objects.all().delete()
