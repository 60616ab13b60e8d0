"""The environment ``kechuang serve`` hands gunicorn: the allocator's settings where the operator set
none, the operator's own where they did (docs/adr/0030-engine-at-city-scale.md, "The allocator")."""

import pytest

from kechuang.core.management.commands.serve import MALLOC_DEFAULTS, server_environment

pytestmark = pytest.mark.no_db


def test_the_allocator_settings_are_added_where_the_environment_has_none():
    env = server_environment({"PATH": "/bin", "WEB_THREADS": "4"})
    assert env == {"PATH": "/bin", "WEB_THREADS": "4", **MALLOC_DEFAULTS}
    assert env["MALLOC_ARENA_MAX"] == "2" and env["MALLOC_MMAP_THRESHOLD_"] == "131072"


def test_the_operators_own_values_win():
    env = server_environment({"MALLOC_ARENA_MAX": "8"})
    assert env["MALLOC_ARENA_MAX"] == "8" and env["MALLOC_MMAP_THRESHOLD_"] == "131072"
