"""The hook through which later modules add their own demo objects.

A module registers a function from its ``AppConfig.ready()``::

    from kechuang.core.registry import register_demo_generator

    def make_demo_achievements(*, scale, seed, rng, stdout):
        ...
        return {"科技成果": created}

    register_demo_generator("transfer.achievements", make_demo_achievements)

``kechuang demo-data`` calls every function after the directory data (so organizations, people and
fields exist), in registration order, each in its own transaction, with a ``random.Random`` seeded from
the run's seed and the function's name: the same seed gives the same data, and adding a generator does
not change what the others produce. ``scale`` is ``"small"`` or ``"large"`` (``"tiny"`` in the test
suite: treat any other value like ``"small"``, only smaller). A generator must be idempotent: a second
run with the same seed creates nothing (look records up by their natural keys). It returns the number
of records it created per kind of record (Chinese labels), which the command prints.
"""

from __future__ import annotations

import random

# The registry itself is the kernel's (core.registry, ADR 0019); the names stay importable from here.
from kechuang.core.registry import (
    DemoGenerator,
    register_demo_generator,
    registered_generators,
    unregister_demo_generator,
)

__all__ = [
    "DemoGenerator",
    "generator_rng",
    "register_demo_generator",
    "registered_generators",
    "unregister_demo_generator",
]


def generator_rng(seed: int, name: str) -> random.Random:
    """The random source handed to generator ``name`` for ``seed`` (stable across runs and Python builds)."""
    return random.Random(f"{seed}:{name}")
