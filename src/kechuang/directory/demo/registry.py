"""The hook through which later modules add their own demo objects.

A module registers a function from its ``AppConfig.ready()``::

    from kechuang.directory.demo import register_demo_generator

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
from collections.abc import Callable
from typing import Any, Protocol


class DemoGenerator(Protocol):
    def __call__(self, *, scale: str, seed: int, rng: random.Random, stdout: Any) -> dict[str, int]: ...


_GENERATORS: dict[str, Callable[..., dict[str, int]]] = {}


def register_demo_generator(name: str, fn: Callable[..., dict[str, int]]) -> None:
    """Add (or replace, keeping its place) the generator called ``name``."""
    if not name:
        raise ValueError("演示数据生成器必须有名称。")
    _GENERATORS[name] = fn


def unregister_demo_generator(name: str) -> None:
    _GENERATORS.pop(name, None)


def registered_generators() -> list[tuple[str, Callable[..., dict[str, int]]]]:
    """The registered generators in registration order."""
    return list(_GENERATORS.items())


def generator_rng(seed: int, name: str) -> random.Random:
    """The random source handed to generator ``name`` for ``seed`` (stable across runs and Python builds)."""
    return random.Random(f"{seed}:{name}")
