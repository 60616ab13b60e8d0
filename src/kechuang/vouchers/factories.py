"""Shortcuts for tests and the browser journey: each goes through the real services, so what they build
is exactly what the pages and the API would have built."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from . import services
from .choices import ServiceCategory
from .models import Application, Provider, ProviderService, Scheme, ServiceOrder, Voucher

ALL_CATEGORIES = [c.value for c in ServiceCategory]


def minimal_pdf(text: str = "invoice") -> bytes:
    """A small, valid PDF (passes the upload content check)."""
    body = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_scheme(*, operator: Any, open_it: bool = True, **overrides: Any) -> Scheme:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "name": f"{today.year}年度创新券（测试）",
        "year": today.year,
        "budget_fen": 10_000_000,
        "subsidy_ratio_bp": 5000,
        "enterprise_cap_fen": 1_000_000,
        "controller_cap_fen": 1_500_000,
        "categories": ALL_CATEGORIES,
        "apply_from": today - dt.timedelta(days=30),
        "apply_until": today + dt.timedelta(days=60),
        "expires_on": today + dt.timedelta(days=365),
        "description": "",
    }
    data.update(overrides)
    scheme = services.scheme_create(actor=operator, **data)
    if open_it:
        scheme = services.scheme_open(actor=operator, scheme=scheme)
    return scheme


def make_provider(*, organization: Any, applicant: Any, reviewer: Any, categories: Any = None) -> Provider:
    provider = services.provider_register(
        actor=applicant,
        organization=organization,
        categories=categories or ALL_CATEGORIES,
        introduction="专业服务机构",
        contact_name="孙婷",
        contact_phone="13800001111",
    )
    return services.provider_review(actor=reviewer, provider=provider, approve=True)


def make_service(
    *,
    provider: Provider,
    actor: Any,
    price_fen: int = 200_000,
    category: str = "testing",
    name: str = "材料成分检测",
) -> ProviderService:
    return services.service_create(
        actor=actor,
        provider=provider,
        name=name,
        category=category,
        price_fen=price_fen,
        unit="项",
        description="按国家标准出具检测报告",
    )


def make_voucher(
    *,
    scheme: Scheme,
    enterprise: Any,
    applicant: Any,
    operator: Any,
    leader: Any,
    amount_fen: int = 500_000,
    controller_code: str = "",
) -> Voucher:
    application = services.application_submit(
        actor=applicant,
        scheme=scheme,
        enterprise=enterprise,
        requested_fen=amount_fen,
        purpose="委托检测与知识产权服务",
        planned_categories=scheme.categories[:1],
        controller_code=controller_code,
    )
    services.application_review(actor=operator, application=application, approve=True)
    services.application_decide(actor=leader, application=application, approve=True)
    return Voucher.objects.get(application=application)


def make_order(*, voucher: Voucher, service: ProviderService, actor: Any, quantity: int = 1) -> ServiceOrder:
    return services.order_place(
        actor=actor, voucher=voucher, service=service, quantity=quantity, note="请尽快安排"
    )


def deliver_and_confirm(*, order: ServiceOrder, provider_actor: Any, enterprise_actor: Any) -> ServiceOrder:
    services.order_accept(actor=provider_actor, order=order)
    services.order_deliver(actor=provider_actor, order=order, note="报告已交付")
    return services.order_confirm(actor=enterprise_actor, order=order)


def submit_claim(*, order: ServiceOrder, actor: Any) -> Any:
    return services.claim_submit(
        actor=actor,
        order=order,
        invoice=minimal_pdf(),
        invoice_name="发票.pdf",
        invoice_number="No.31001234",
        invoice_amount_fen=order.price_fen,
    )


def application_for(voucher: Voucher) -> Application:
    return voucher.application
