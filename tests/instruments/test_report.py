"""The owner's annual sharing report (the form a 先用后补 application needs), exported to Excel: per
instrument its hours, outside hours and share, enterprises served, bookings, no-shows and income; then
every completed booking. Owners export their own, staff any; another institute may not; it is audited."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kechuang.core.models import AuditEvent
from kechuang.instruments import services
from kechuang.instruments.choices import BookingStatus, UserClass
from kechuang.instruments.models import Booking

pytestmark = pytest.mark.django_db


def test_the_annual_report_has_the_year_figures_and_the_service_records(
    client, instrument, owner_org, owner_user, enterprise_org, other_institute_user, leader
):
    year = timezone.localdate().year
    start = timezone.make_aware(dt.datetime(year, 1, 5, 9))
    for n, (org, user_class, minutes, status) in enumerate(
        [
            (enterprise_org, UserClass.DISTRICT, 120, BookingStatus.COMPLETED),
            (owner_org, UserClass.OWNER, 60, BookingStatus.COMPLETED),
            (enterprise_org, UserClass.DISTRICT, None, BookingStatus.NO_SHOW),
        ]
    ):
        Booking.objects.create(
            code=f"YY-A-{n}",
            instrument=instrument,
            organization=org,
            user_class=user_class,
            start_at=start + dt.timedelta(days=n),
            end_at=start + dt.timedelta(days=n, hours=2),
            status=status,
            actual_minutes=minutes,
            rate_fen=40_000,
            charge_fen=40_000 * (minutes or 60) // 60,
        )
    client.force_login(owner_user)
    answer = client.get(reverse("instruments:sharing-report"), {"year": year})
    assert answer.status_code == 200 and answer["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(answer.content))
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    assert summary[0][5] == "有效机时（小时）"
    row = summary[1]
    assert row[0] == instrument.code and row[5] == 3.0 and row[6] == 2.0 and row[7] == "66.7%"
    assert row[8] == 1 and row[9] == 3 and row[10] == 1 and row[11] == (80_000 + 40_000 + 40_000) / 100
    records = list(book.worksheets[1].iter_rows(values_only=True))
    assert [r[0] for r in records[1:]] == ["YY-A-0", "YY-A-1"]
    assert AuditEvent.objects.filter(action="instruments.report.export").count() == 1
    with pytest.raises(PermissionDenied):
        services.sharing_report_export(actor=other_institute_user, owner=owner_org, year=year)
    assert services.sharing_report_export(actor=leader, owner=owner_org, year=year)
