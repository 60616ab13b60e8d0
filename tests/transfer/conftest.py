"""Transfer fixtures: the hashing embedder (fast, deterministic), a fresh in-process index per test, and
on-commit callbacks run as they would after a real commit."""

from __future__ import annotations

import pytest

from kechuang.transfer import matching
from kechuang.transfer.factories import ensure_fields, make_achievement, make_demand


@pytest.fixture(autouse=True)
def _matching_isolated(settings):
    settings.MATCH_EMBEDDER = "hashing"
    matching.reset()
    yield
    matching.reset()


@pytest.fixture
def fields(db):
    return ensure_fields()


@pytest.fixture
def achievement(db, institute_org, fields):
    return make_achievement(institute_org)


@pytest.fixture
def demand(db, enterprise_org, fields):
    return make_demand(enterprise_org)


@pytest.fixture
def confidential_achievement(db, institute_org, fields):
    return make_achievement(
        institute_org,
        title="保密：车身激光焊接在线监测系统",
        visibility="operators",
        summary="基于同轴视觉与光谱的激光焊接在线监测，实时识别气孔与未焊透缺陷，用于车身焊装产线。",
        keywords="激光焊接 在线监测 车身",
    )


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Use as a context manager around a service call to run its on-commit work (index, vectors)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n164\n%%EOF\n"
)


@pytest.fixture
def pdf_bytes():
    """A small, well-formed PDF (one blank page)."""
    return MINIMAL_PDF
