"""Uploads through the API, checked by content with the kernel's upload checker (core.uploads over
core.importing.files): an instrument's photo (POST /api/v1/instruments/{code}/photos/) and a sample
test's report (POST /api/v1/instrument-samples/{code}/report/); a bad file is refused with nothing
stored, strangers are refused."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient
from test_photos import tiny_png

from kechuang.instruments import services
from kechuang.instruments.choices import SampleStatus
from kechuang.instruments.models import InstrumentPhoto, SampleRequest
from kechuang.vouchers.factories import minimal_pdf

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(name, data, content_type):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_the_owner_uploads_a_photo_through_the_api(instrument, owner_user, media_root):
    answer = client_for(owner_user).post(
        f"/api/v1/instruments/{instrument.code}/photos/",
        {"image": upload("电镜.png", tiny_png(), "image/png")},
        format="multipart",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["instrument"] == instrument.code and body["content_type"] == "image/png"
    assert InstrumentPhoto.objects.filter(instrument=instrument).count() == 1


@pytest.mark.parametrize(
    "name, data, content_type",
    [
        ("电镜.png", b"<html><script>alert(1)</script></html>", "image/png"),  # markup named as a PNG
        ("电镜.png", b"MZ\x90\x00" + b"\x00" * 200, "image/png"),  # an executable
        ("电镜.pdf", minimal_pdf(), "application/pdf"),  # a real PDF, but not a photo
    ],
)
def test_a_bad_photo_is_refused_through_the_api_and_nothing_is_stored(
    instrument, owner_user, media_root, name, data, content_type
):
    answer = client_for(owner_user).post(
        f"/api/v1/instruments/{instrument.code}/photos/",
        {"image": upload(name, data, content_type)},
        format="multipart",
    )
    assert answer.status_code == 400, answer.content
    assert "image" in answer.json() or "detail" in answer.json()
    assert not InstrumentPhoto.objects.exists()


def test_only_the_owner_uploads_photos_through_the_api(
    instrument, enterprise_user, other_institute_user, media_root
):
    for stranger in (enterprise_user, other_institute_user):
        answer = client_for(stranger).post(
            f"/api/v1/instruments/{instrument.code}/photos/",
            {"image": upload("电镜.png", tiny_png(), "image/png")},
            format="multipart",
        )
        assert answer.status_code == 403
    assert APIClient().post(f"/api/v1/instruments/{instrument.code}/photos/").status_code in (401, 403)
    assert not InstrumentPhoto.objects.exists()


@pytest.fixture
def received(instrument, owner_user, enterprise_user, enterprise_org):
    sample = services.sample_request_submit(
        actor=enterprise_user,
        instrument=instrument,
        organization=enterprise_org,
        sample_count=2,
        sample_description="GaN 外延片",
    )
    sample = services.sample_request_accept(actor=owner_user, sample_request=sample)
    return services.sample_request_receive(actor=owner_user, sample_request=sample)


def test_the_owner_uploads_the_report_through_the_api_and_the_requester_confirms(
    received, owner_user, enterprise_user, media_root
):
    answer = client_for(owner_user).post(
        f"/api/v1/instrument-samples/{received.code}/report/",
        {"report": upload("测试报告.pdf", minimal_pdf(), "application/pdf"), "note": "结果见附表"},
        format="multipart",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == SampleStatus.REPORTED and body["has_report"] is True
    assert body["charge_fen"] == received.rate_fen * 2
    confirmed = client_for(enterprise_user).post(f"/api/v1/instrument-samples/{received.code}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == SampleStatus.CONFIRMED


def test_a_bad_report_is_refused_through_the_api_and_nothing_changes(
    received, owner_user, enterprise_user, media_root
):
    client = client_for(owner_user)
    for name, data in (
        ("测试报告.pdf", b"<html><body>not a report</body></html>"),
        ("测试报告.exe", minimal_pdf()),  # the name does not match what it is
    ):
        answer = client.post(
            f"/api/v1/instrument-samples/{received.code}/report/",
            {"report": upload(name, data, "application/pdf")},
            format="multipart",
        )
        assert answer.status_code == 400, answer.content
    assert client.post(f"/api/v1/instrument-samples/{received.code}/report/", {}).status_code == 400
    sample = SampleRequest.objects.get(pk=received.pk)
    assert sample.status == SampleStatus.RECEIVED and not sample.report and sample.charge_fen is None
    refused = client_for(enterprise_user).post(
        f"/api/v1/instrument-samples/{received.code}/report/",
        {"report": upload("测试报告.pdf", minimal_pdf(), "application/pdf")},
        format="multipart",
    )
    assert refused.status_code == 403
    assert SampleRequest.objects.get(pk=received.pk).status == SampleStatus.RECEIVED
