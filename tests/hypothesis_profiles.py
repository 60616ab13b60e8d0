"""How much generated input the property tests try, chosen by ``HYPOTHESIS_PROFILE``
(docs/adr/0017-test-suite-speed.md):

- ``dev`` (the default, e.g. ``.venv/bin/pytest tests/x -q`` while working): few examples;
- ``ci`` (``make test``, ``make check``): hypothesis's usual 100 examples per test, the state machines
  at a fifth of their full count (the voucher and booking ones at a tenth in the PostgreSQL pass), the
  API fuzzing with one role of each role class;
- ``nightly`` (``make test-full``): every test at its full count, the fuzzing with every role.

tests/conftest.py registers the profiles and loads the chosen one; tests that pin their own count for
an expensive test (the state machines) ask :func:`examples` for it.
"""

from __future__ import annotations

import math
import os

from hypothesis import settings

PROFILES = ("dev", "ci", "nightly")
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
if PROFILE not in PROFILES:
    raise RuntimeError(f"HYPOTHESIS_PROFILE={PROFILE!r}: use one of {', '.join(PROFILES)}")

# The share of an expensive test's full example count that each profile runs.
SHARE = {"dev": 0.05, "ci": 0.2, "nightly": 1.0}
FULL = PROFILE == "nightly"


def register() -> None:
    """Hypothesis's own defaults per profile. No deadline in ``ci`` and ``nightly``: they run two
    pytest-xdist workers on a shared machine, where a function's wall-clock time says little (the
    benchmarks measure speed); ``dev`` keeps hypothesis's deadline."""
    settings.register_profile("dev", max_examples=20)
    settings.register_profile("ci", deadline=None, print_blob=True)
    settings.register_profile("nightly", deadline=None, print_blob=True)
    settings.load_profile(PROFILE)


ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))


def examples(full: int, *, floor: int = 5, postgres_share: float = 1.0) -> int:
    """The example count of an expensive property test: ``full`` under ``nightly``, a share of it
    under ``ci`` and ``dev`` (never fewer than ``floor``). ``postgres_share``: the part of the ``ci``
    count the PostgreSQL pass runs, as the API fuzzing does (tests/fuzz.py): the SQLite pass runs the
    whole ``ci`` count, ``nightly`` every sequence in both (docs/adr/0017-test-suite-speed.md)."""
    share = SHARE[PROFILE]
    if PROFILE == "ci" and ON_POSTGRES:
        share *= postgres_share
    return max(min(full, floor), math.ceil(full * share))
