"""The voucher panel on each role's home page (registered in VouchersConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.core.registry import HomePanel, HomeSection

from . import permissions as perms
from . import selectors
from .choices import OrderStatus, VoucherStatus

TEMPLATE = "vouchers/partials/home_panel.html"


def _section(title: str, url: str, section: str, **context: Any) -> HomeSection:
    return HomeSection(
        panels=[HomePanel(title=title, url=url, template=TEMPLATE, context={"section": section, **context})]
    )


def voucher_home_panel(request: HttpRequest, role: str) -> HomeSection | None:
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return None
    if role == "enterprise":
        vouchers = list(selectors.voucher_list(actor=user).filter(status=VoucherStatus.ACTIVE)[:4])
        return _section(
            _("我的创新券"),
            reverse("vouchers:voucher-list"),
            "enterprise",
            vouchers=vouchers,
            open_schemes=selectors.open_schemes_for_applying(actor=user),
        )
    if role == "provider":
        orders = selectors.order_list(actor=user).filter(
            provider__organization_id__in=perms.organizations_of(user)
        )
        return _section(
            _("创新券订单"),
            reverse("vouchers:order-list"),
            "provider",
            placed=orders.filter(status=OrderStatus.PLACED).count(),
            accepted=orders.filter(status=OrderStatus.ACCEPTED).count(),
            claimable=orders.filter(status=OrderStatus.CONFIRMED, claim__isnull=True).count(),
        )
    if role in ("operator", "leader"):
        return _section(
            _("创新券"),
            reverse("vouchers:review-queue"),
            "staff",
            figures=selectors.overall_figures_cached(),
            counts=selectors.review_counts_cached(actor=user),
            is_operator=perms.is_operator(user),
            is_leader=perms.is_leader(user),
        )
    return None
