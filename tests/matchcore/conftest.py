"""Fixtures for the matchcore tests: small catalogues indexed with the deterministic hashing embedder."""

from __future__ import annotations

import pytest
from matchcore_testdata import CATALOGUE

from matchcore import Engine, EngineConfig, HashingEmbedder


@pytest.fixture
def engine() -> Engine:
    """An engine holding CATALOGUE, with hashing vectors for every document."""
    eng = Engine(EngineConfig.default(), embedder=HashingEmbedder(dim=128))
    eng.upsert_many(CATALOGUE)
    eng.embed_missing()
    return eng


@pytest.fixture
def lexical_engine() -> Engine:
    """An engine holding CATALOGUE without any vectors (the dense leg has not filled in yet)."""
    eng = Engine(EngineConfig.default(), embedder=HashingEmbedder(dim=128))
    eng.upsert_many(CATALOGUE)
    return eng
