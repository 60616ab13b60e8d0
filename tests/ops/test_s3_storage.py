"""Uploaded files on S3-compatible object storage (FILE_STORAGE=s3, django-storages), against a local
S3 server (moto): uploaded and downloaded through the access-checked views, streamed by the platform
(docs/reliability.md K3; docs/adr/0016-shared-state-and-backups.md), kept by backups."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from ops_helpers import s3_environment, s3_objects

from kechuang.transfer.factories import ensure_fields, make_achievement
from kechuang.transfer.models import Attachment

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n164\n%%EOF\n"
)


@pytest.fixture
def s3_storage(settings, monkeypatch, s3_endpoint, tmp_path):
    """The settings a district writes for S3 (every S3_* variable), read the way the settings read them;
    a folder of the bucket per test. MEDIA_ROOT points at a folder that must stay empty."""
    from kechuang.settings.base import _file_storage

    prefix = f"run-{uuid.uuid4().hex[:10]}"
    for name, value in s3_environment(s3_endpoint, prefix).items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": _file_storage("s3")}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MATCH_EMBEDDER = "hashing"
    return prefix


def test_the_settings_build_an_s3_storage_from_the_environment(s3_storage, s3_endpoint):
    from storages.backends.s3 import S3Storage

    name = default_storage.save("probe/hello.txt", ContentFile(b"hello"))
    assert isinstance(default_storage._wrapped, S3Storage)
    assert default_storage.location == s3_storage
    assert s3_objects(s3_endpoint, s3_storage) == {f"{s3_storage}/{name}": b"hello"}


@pytest.mark.slow
@pytest.mark.django_db
def test_an_attachment_uploaded_and_downloaded_through_the_views_lives_in_the_bucket(
    s3_storage, s3_endpoint, settings, client, institute_user, institute_org, other_enterprise_user
):
    ensure_fields()
    achievement = make_achievement(institute_org)
    client.force_login(institute_user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("transfer:achievement-attach", args=[achievement.code]),
        {"file": SimpleUploadedFile("检测报告.pdf", MINIMAL_PDF, "application/pdf"), "access": "parties"},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(achievement=achievement)
    stored = s3_objects(s3_endpoint, s3_storage)
    assert stored == {f"{s3_storage}/{attachment.file.name}": MINIMAL_PDF}
    assert not (settings.MEDIA_ROOT).exists()  # nothing on this host's disk

    download = client.get(reverse("transfer:attachment-download", args=[attachment.token]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == MINIMAL_PDF  # streamed by the view, not a redirect
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert s3_endpoint.split("//", 1)[1] not in str(download.headers)  # the store's address never leaks

    client.force_login(other_enterprise_user)
    assert client.get(reverse("transfer:attachment-download", args=[attachment.token])).status_code == 404


@pytest.mark.django_db
def test_an_import_upload_is_kept_in_the_bucket_so_any_app_server_can_confirm_it(
    s3_storage, s3_endpoint, operator
):
    import hashlib

    from kechuang.core.importing import stored
    from kechuang.core.importing.files import CheckedFile

    data = "名称,统一社会信用代码\n".encode()
    info = CheckedFile(
        kind="csv",
        label="CSV",
        content_type="text/csv",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        name="机构.csv",
    )
    upload = stored.store_upload(actor=operator, spec="directory", filename="机构.csv", data=data, info=info)
    objects = s3_objects(s3_endpoint, s3_storage)
    assert f"{s3_storage}/imports/{upload.token}.csv" in objects
    assert f"{s3_storage}/imports/{upload.token}.json" in objects
    again = stored.load_upload(upload.token, actor=operator, spec="directory")
    assert again is not None and again.read_bytes() == data
    assert stored.prune_uploads(max_age_days=0) == 2
    assert stored.load_upload(upload.token, actor=operator, spec="directory") is None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_backup_keeps_the_bucket_and_a_restore_puts_it_back(
    s3_storage, s3_endpoint, tmp_path, client, institute_user, institute_org
):
    import boto3
    from django.core.management import call_command
    from ops_helpers import BUCKET

    from kechuang.transfer import services

    ensure_fields()
    achievement = make_achievement(institute_org)
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.attachment_add(
        actor=institute_user,
        listing=achievement,
        file=SimpleUploadedFile("报告.pdf", MINIMAL_PDF, "application/pdf"),
        access="listing",
    )
    attachment = Attachment.objects.get(achievement=achievement)
    before = s3_objects(s3_endpoint, s3_storage)
    call_command("backup", output=str(tmp_path / "backup"))
    assert (tmp_path / "backup" / "media" / attachment.file.name).read_bytes() == MINIMAL_PDF

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    for key in before:
        s3.delete_object(Bucket=BUCKET, Key=key)
    assert s3_objects(s3_endpoint, s3_storage) == {}

    call_command("restore", str(tmp_path / "backup"), yes=True)
    assert s3_objects(s3_endpoint, s3_storage) == before
    client.force_login(institute_user)
    download = client.get(reverse("transfer:attachment-download", args=[attachment.token]))
    assert b"".join(download.streaming_content) == MINIMAL_PDF
