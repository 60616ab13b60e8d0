"""django-rules' ``predicate`` and ``add_perm`` with types, for the modules' permissions.py (ADR 0005:
the permission matrix; ADR 0019: the kernel is typed). rules ships untyped decorators, so a predicate
written with ``@rules.predicate`` became an untyped function and every permissions module failed mypy's
``disallow_untyped_defs``; these keep rules' behaviour (combinable predicates, the permission registry)
and give mypy a ``Predicate``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rules.permissions import add_perm as _add_perm
from rules.predicates import Predicate
from rules.predicates import predicate as _predicate

__all__ = ["Predicate", "add_perm", "predicate"]


def predicate(fn: Callable[..., Any]) -> Predicate:
    """``@predicate`` on ``def can_x(user, obj=None) -> bool``: a rules predicate (``&``, ``|``, ``~``)."""
    made: Predicate = _predicate(fn)  # type: ignore[no-untyped-call]
    return made


def add_perm(name: str, rule: Predicate | Callable[..., Any]) -> None:
    """Register ``rule`` as the permission ``name`` (``user.has_perm(name, obj)``)."""
    _add_perm(name, rule)  # type: ignore[no-untyped-call]
