"""docs/reliability.md K3: attachments are checked by content; dangerous files are refused; files are served
only as downloads through an access-checked view."""

import io
import struct
import zipfile
import zlib

import ole_files  # tests/core is on sys.path: real OLE2 files built at test time
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kechuang.core.uploads import check_upload, clean_name
from kechuang.transfer.models import Attachment

pytestmark = pytest.mark.django_db


def _zip(entries, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            # A fixed date: the bytes (and so the parametrized test ids) are the same on every pytest-xdist
            # worker, which collect at different seconds.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, compression)
    return buffer.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'wordprocessingml.document.main+xml"/></Types>'
)
DOCX = _zip({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>"})


def _png(width=1, height=1):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00"))
        + chunk(b"IEND", b"")
    )


JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    b"\xff\xc0\x00\x11\x08\x00\x10\x00\x10\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xd9"
)
OLE = ole_files.word_document("科技成果转化项目说明")


def test_real_pdf_and_office_files_and_images_are_accepted(pdf_bytes):
    for name, data, kind in [
        ("成果介绍.pdf", pdf_bytes, "pdf"),
        ("方案.docx", DOCX, "docx"),
        ("照片.png", _png(), "png"),
        ("样机.jpg", JPEG, "jpeg"),
        ("老文档.doc", OLE, "doc"),
        ("公文.ofd", _zip({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<d/>"}), "ofd"),
    ]:
        checked = check_upload(data, name=name)
        assert checked.kind == kind and checked.size == len(data) and len(checked.sha256) == 64


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("报告.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "网页"),
        ("报告.pdf", b"  <html><body>hi</body></html>", "网页"),
        ("图.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
        ("图.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        ("程序.pdf", b"MZ\x90\x00" + b"\x00" * 200, "可执行"),
        ("程序.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "可执行"),
        ("脚本.pdf", b"#!/bin/sh\nrm -rf /\n", "脚本"),
        ("压缩包.zip", _zip({"a.txt": b"hello"}), "压缩包"),
        ("空.pdf", b"", "空"),
        ("文本.pdf", "纯文本文件".encode(), "不支持"),
    ],
)
def test_dangerous_or_unknown_files_are_refused(name, data, message):
    with pytest.raises(ValidationError) as error:
        check_upload(data, name=name)
    assert message in str(error.value)


def test_zip_bomb_is_refused():
    bomb = _zip({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"\x00" * (30 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(ValidationError) as error:
        check_upload(bomb, name="炸弹.docx")
    assert "压缩炸弹" in str(error.value)
    nested = _zip(
        {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w/>", "word/inner.zip": b"PK"}
    )
    with pytest.raises(ValidationError):
        check_upload(nested, name="嵌套.docx")


def test_macro_documents_are_refused():
    docm = _zip(
        {
            "[Content_Types].xml": CONTENT_TYPES.replace(
                b"document.main+xml", b"document.macroEnabled.main+xml"
            ),
            "word/document.xml": b"<w/>",
            "word/vbaProject.bin": b"\x00" * 100,
        }
    )
    with pytest.raises(ValidationError) as error:
        check_upload(docm, name="宏.docx")
    assert "宏" in str(error.value)
    ole_macro = ole_files.word_document("科技成果转化项目说明", macros=True)
    with pytest.raises(ValidationError):
        check_upload(ole_macro, name="宏.doc")


def test_pdf_with_javascript_is_refused(pdf_bytes):
    active = pdf_bytes.replace(
        b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"
    )
    with pytest.raises(ValidationError):
        check_upload(active, name="带脚本.pdf")


def test_image_bomb_and_extension_mismatch_are_refused(pdf_bytes):
    with pytest.raises(ValidationError):
        check_upload(_png(100_000, 100_000), name="巨图.png")
    with pytest.raises(ValidationError) as error:
        check_upload(_png(), name="伪装.pdf")
    assert "不符" in str(error.value)
    with pytest.raises(ValidationError):
        check_upload(pdf_bytes, name="无扩展名")


def test_size_limit(settings, pdf_bytes):
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(ValidationError) as error:
        check_upload(pdf_bytes, name="大.pdf")
    assert "太大" in str(error.value)


def test_names_are_cleaned():
    assert clean_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert clean_name('a\x00b<script>".pdf') == "a_b_script_.pdf"
    assert clean_name("") == "attachment"


def test_upload_through_the_page_and_download_as_attachment(client, enterprise_user, demand, pdf_bytes):
    client.force_login(enterprise_user)
    url = reverse("transfer:demand-attach", args=[demand.code])
    client.post(
        url, {"file": SimpleUploadedFile("伪装.pdf", b"<html><script>x</script></html>"), "access": "listing"}
    )
    assert not Attachment.objects.exists()
    client.post(url, {"file": SimpleUploadedFile("需求规格书.pdf", pdf_bytes), "access": "listing"})
    attachment = Attachment.objects.get()
    assert attachment.original_name == "需求规格书.pdf" and attachment.content_type == "application/pdf"
    assert attachment.file.name.endswith(".bin")  # the stored name never comes from the user
    response = client.get(reverse("transfer:attachment-download", args=[attachment.token]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_other_organization_cannot_upload(client, other_enterprise_user, demand, pdf_bytes):
    client.force_login(other_enterprise_user)
    response = client.post(
        reverse("transfer:demand-attach", args=[demand.code]),
        {"file": SimpleUploadedFile("x.pdf", pdf_bytes)},
    )
    assert response.status_code == 403 and not Attachment.objects.exists()
