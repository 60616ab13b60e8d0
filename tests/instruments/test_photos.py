"""Instrument photos: the owner uploads PNG or JPEG (checked by content; HTML refused), anyone sees the
photos of a catalogue instrument through the access-checked view, a retired instrument's photo is hidden."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kechuang.instruments import services
from kechuang.instruments.models import InstrumentPhoto

pytestmark = pytest.mark.django_db


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_the_owner_uploads_a_photo_anyone_sees_it_and_html_is_refused(
    client, instrument, owner_user, media_root
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(owner_user)
    client.post(
        reverse("instruments:photo-add", args=[instrument.code]),
        {"image": SimpleUploadedFile("电镜.png", tiny_png(), content_type="image/png")},
    )
    photo = InstrumentPhoto.objects.get()
    assert photo.content_type == "image/png"
    with pytest.raises(ValidationError):
        services.instrument_photo_add(
            actor=owner_user, instrument=instrument, image=b"<html><script>x</script></html>", name="a.png"
        )
    client.logout()
    answer = client.get(reverse("instruments:photo", args=[photo.pk]))
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert (
        f'src="{reverse("instruments:photo", args=[photo.pk])}"'
        in client.get(reverse("instruments:instrument-detail", args=[instrument.code])).content.decode()
    )
    services.instrument_set_status(actor=owner_user, instrument=instrument, status="retired")
    assert client.get(reverse("instruments:photo", args=[photo.pk])).status_code == 404
