"""The synthetic listing generator behind the benchmark (the benchmark itself reports, it is not a test)."""

from __future__ import annotations

from matchcore.bench import generate_listings, generate_queries


def test_listings_are_deterministic_and_varied() -> None:
    a = generate_listings(300)
    assert a == generate_listings(300)
    assert len({d.id for d in a}) == 300
    assert {d.kind for d in a} == {"achievement", "demand"}
    assert len({d.fields[0] for d in a}) == 6
    demands = [d for d in a if d.kind == "demand"]
    assert all(d.budget_min_fen is not None and d.budget_max_fen >= d.budget_min_fen for d in demands)  # type: ignore[operator]


def test_queries_are_distinct() -> None:
    qs = generate_queries(200)
    assert len(set(qs)) == 200
