"""Vectors shipped with the software (issue 14 item 9): a document whose passage text has a shipped
vector gets it without running the model; any other document is left to the worker."""

from __future__ import annotations

import numpy as np
import pytest

from kechuang.transfer import matching
from kechuang.transfer.factories import make_achievement
from kechuang.transfer.models import ListingVector
from kechuang.transfer.shipped_vectors import write

pytestmark = pytest.mark.django_db


def test_shipped_vectors_are_taken_for_their_texts_and_the_model_runs_for_none(
    institute_org, fields, settings, tmp_path, monkeypatch
):
    shipped_one = make_achievement(institute_org, title="高功率光纤激光器合束模块")
    other = make_achievement(institute_org, title="毫米波雷达芯片封装散热方案")
    matching.compute_vectors(matching.missing_vector_ids())
    name = matching.get_engine().embedder_name
    row = ListingVector.objects.get(doc_id=f"achievement:{shipped_one.pk}", embedder=name)
    expected = np.frombuffer(bytes(row.vector), dtype=np.float32)
    # ship the first document's vector only, then forget every stored vector
    settings.MATCH_SHIPPED_VECTORS = str(tmp_path / "demo-vectors.npz")
    assert write(tmp_path / "demo-vectors.npz", name, [(row.text_hash, bytes(row.vector), row.dim)]) == 1
    ListingVector.objects.all().delete()
    matching.reset()  # the index forgets them too, as on a fresh demo database

    def no_model(self, docs):
        raise AssertionError(f"the model ran for {[d.id for d in docs]}")

    monkeypatch.setattr("matchcore.Engine.embed_passage_texts", no_model)
    assert matching.fill_shipped() == 1
    stored = ListingVector.objects.get(doc_id=f"achievement:{shipped_one.pk}", embedder=name)
    assert np.array_equal(np.frombuffer(bytes(stored.vector), dtype=np.float32), expected)
    assert stored.text_hash == row.text_hash
    assert not ListingVector.objects.filter(doc_id=f"achievement:{other.pk}").exists()  # for the worker
    assert f"achievement:{other.pk}" in matching.missing_vector_ids()


def test_without_a_shipped_file_nothing_is_filled(settings, tmp_path, institute_org, fields):
    settings.MATCH_SHIPPED_VECTORS = str(tmp_path / "absent.npz")
    make_achievement(institute_org)
    assert matching.fill_shipped() == 0
