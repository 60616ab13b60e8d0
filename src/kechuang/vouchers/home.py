"""The voucher panel on each role's home page (registered in VouchersConfig.ready)."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from . import permissions as perms
from . import selectors
from .choices import OrderStatus, VoucherStatus

logger = logging.getLogger(__name__)
TEMPLATE = "vouchers/partials/home_panel.html"


def _panel(title: str, url: str, section: str, **context: Any) -> dict[str, Any]:
    return {"title": title, "url": url, "template": TEMPLATE, "context": {"section": section, **context}}


def voucher_home_panel(request: HttpRequest, role: str) -> dict[str, Any]:
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return {}
    try:
        if role == "enterprise":
            vouchers = list(selectors.voucher_list(actor=user).filter(status=VoucherStatus.ACTIVE)[:4])
            return {
                "home_panels": [
                    _panel(
                        _("我的创新券"),
                        reverse("vouchers:voucher-list"),
                        "enterprise",
                        vouchers=vouchers,
                        open_schemes=selectors.open_schemes_for_applying(actor=user),
                    )
                ]
            }
        if role == "provider":
            orders = selectors.order_list(actor=user).filter(
                provider__organization_id__in=perms.organizations_of(user)
            )
            return {
                "home_panels": [
                    _panel(
                        _("创新券订单"),
                        reverse("vouchers:order-list"),
                        "provider",
                        placed=orders.filter(status=OrderStatus.PLACED).count(),
                        accepted=orders.filter(status=OrderStatus.ACCEPTED).count(),
                        claimable=orders.filter(status=OrderStatus.CONFIRMED, claim__isnull=True).count(),
                    )
                ]
            }
        if role in ("operator", "leader"):
            return {
                "home_panels": [
                    _panel(
                        _("创新券"),
                        reverse("vouchers:review-queue"),
                        "staff",
                        figures=selectors.overall_figures_cached(),
                        counts=selectors.review_counts(actor=user),
                        is_operator=perms.is_operator(user),
                        is_leader=perms.is_leader(user),
                    )
                ]
            }
    except Exception:  # a broken panel must not take the home page down
        logger.exception("voucher home panel failed")
    return {}
