"""Public codes numbered per module, prefix and year: ``QZ-2026-000123`` (ADR 0019).

One scheme for every code people read: a prefix per kind of thing, the year and a sequence; never the
primary key, never random. Each module registers its kinds (prefix and what it names) when it starts;
two kinds may not share a prefix, so ``SQ-`` always means the same thing (docs/design.md, codes)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import CodeCounter

# prefix → (module, what the code names)
CODE_KINDS: dict[str, tuple[str, str]] = {}


def register_code_kinds(scope: str, kinds: dict[str, str]) -> None:
    """A module's code prefixes and what each names; a prefix already taken by another kind is refused."""
    for prefix, label in kinds.items():
        taken = CODE_KINDS.get(prefix)
        if taken is not None and taken != (scope, label):
            raise ImproperlyConfigured(
                f"编号前缀 {prefix} 已用于 {taken[0]} 的“{taken[1]}”，不能再用于 {scope} 的“{label}”。"
            )
        CODE_KINDS[prefix] = (scope, label)


def next_code(scope: str, prefix: str, *, width: int, year: int | None = None) -> str:
    """The next code of ``scope`` (the module) for the prefix in the year. Locks the counter row until
    the end of the caller's transaction, so numbers are never given twice and never skipped on commit."""
    if CODE_KINDS.get(prefix, (scope,))[0] != scope:
        raise ImproperlyConfigured(f"编号前缀 {prefix} 属于 {CODE_KINDS[prefix][0]}，不属于 {scope}。")
    year = year or timezone.localdate().year
    counters = CodeCounter.objects.filter(scope=scope, prefix=prefix, year=year)
    with transaction.atomic():
        if not counters.update(last=F("last") + 1):
            try:
                with transaction.atomic():
                    CodeCounter.objects.create(scope=scope, prefix=prefix, year=year, last=1)
            except IntegrityError:
                counters.update(last=F("last") + 1)
        last = counters.values_list("last", flat=True).get()
    return f"{prefix}-{year}-{last:0{width}d}"


def last_numbers(scope: str, *, year: int | None = None) -> dict[tuple[str, int], int]:
    """The last number given per (prefix, year) of a module (of one year if given)."""
    counters = CodeCounter.objects.filter(scope=scope)
    if year is not None:
        counters = counters.filter(year=year)
    return {(prefix, y): last for prefix, y, last in counters.values_list("prefix", "year", "last")}


def set_last_numbers(scope: str, numbers: dict[tuple[str, int], int]) -> None:
    """Move a module's counters to the given last numbers (the demo generators hand codes out in bulk)."""
    for (prefix, year), last in numbers.items():
        CodeCounter.objects.update_or_create(scope=scope, prefix=prefix, year=year, defaults={"last": last})
