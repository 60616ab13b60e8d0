"""IP services bought with vouchers (docs/adr/0028): a provider attaches the valuation report of an order
of the 知识产权 category to the holder's patent, which delivers the order through the vouchers' service;
the enterprise confirms it as any order; the report is downloaded by the holder, not by others."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from ip_helpers import make_asset

from kechuang.accounts.choices import Role
from kechuang.ip import services
from kechuang.ip.models import ServiceReport
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.vouchers import factories
from kechuang.vouchers import services as voucher_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def ip_order(
    operator, leader, provider_org, provider_user, enterprise_org, enterprise_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    scheme = factories.make_scheme(operator=operator)
    provider = factories.make_provider(organization=provider_org, applicant=provider_user, reviewer=operator)
    service = factories.make_service(
        provider=provider, actor=provider_user, category="ip", name="专利价值评估"
    )
    voucher = factories.make_voucher(
        scheme=scheme, enterprise=enterprise_org, applicant=enterprise_user, operator=operator, leader=leader
    )
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    return voucher_services.order_accept(actor=provider_user, order=order)


def pdf(name="评估报告.pdf"):
    return SimpleUploadedFile(name, factories.minimal_pdf("valuation"), content_type="application/pdf")


def test_the_report_delivers_the_order_and_the_enterprise_confirms_it(
    ip_order, provider_user, enterprise_org, enterprise_user, client
):
    asset = make_asset(enterprise_org, 61)
    client.force_login(provider_user)
    assert ip_order.code in client.get(reverse("ip:service-orders")).content.decode()
    response = client.post(
        reverse("ip:service-orders"),
        {"order": ip_order.code, "asset_number": asset.number, "kind": "valuation", "file": pdf()},
    )
    assert response.status_code == 302
    report = ServiceReport.objects.get()
    ip_order.refresh_from_db()
    assert report.asset == asset and ip_order.status == "delivered"
    voucher_services.order_confirm(actor=enterprise_user, order=ip_order)
    client.force_login(enterprise_user)
    assert "评估报告.pdf" in client.get(reverse("ip:asset-detail", args=[asset.number])).content.decode()
    download = client.get(reverse("ip:report-download", args=[report.token]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    outsider = user_with_role(Role.ENTERPRISE, OrganizationFactory(name="无关企业"), username="outsider")
    client.force_login(outsider)
    assert client.get(reverse("ip:report-download", args=[report.token])).status_code == 404


def test_refusals_write_nothing(ip_order, provider_user, enterprise_org, enterprise_user, holder):
    not_theirs = make_asset(holder, 62)
    with pytest.raises(ValidationError, match="不是该专利的权利人"):
        services.service_report_attach(
            actor=provider_user, asset=not_theirs, order=ip_order, kind="fto", file=pdf()
        )
    asset = make_asset(enterprise_org, 63)
    with pytest.raises(PermissionDenied):
        services.service_report_attach(
            actor=enterprise_user, asset=asset, order=ip_order, kind="fto", file=pdf()
        )
    with pytest.raises(ValidationError):
        services.service_report_attach(
            actor=provider_user, asset=asset, order=ip_order, kind="fto",
            file=SimpleUploadedFile("x.exe", b"MZ\x90\x00" * 100),
        )  # fmt: skip
    ip_order.refresh_from_db()
    assert ip_order.status == "accepted" and not ServiceReport.objects.exists()
