"""Who hears about what in 创新券, through the in-platform notifications (:mod:`kechuang.notifications`).

Each is sent in the service's transaction (a refused or rolled-back step tells no one) with a dedupe key
built from the record's code and the step, so a retried step tells each person once. The person who
must act next hears it (operators review, leaders approve, the provider takes the order, the enterprise
confirms the delivery), and so does whoever the step affects; the actor never hears of their own step,
and a maker-checker step is never sent to the person who may not check it.

Recipients are querysets (one query each, inside :func:`notification_send`); nothing here loads related
rows the service did not already load, except the provider's name at registration (rare).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.choices import Role
from kechuang.core.money import yuan_text
from kechuang.notifications.services import notification_send, organization_members, role_holders
from kechuang.notifications.text import lazy_text

from .choices import ApplicationStatus, ClaimStatus, ProviderStatus
from .models import Application, Provider, ServiceOrder, SettlementBatch, SettlementClaim, Voucher


def _yuan(fen: int | None) -> str:
    return yuan_text(fen or 0)


def _stamp(moment: Any) -> str:
    """A compact, unique-per-round part of a dedupe key (a resubmission is a new round)."""
    return f"{moment:%Y%m%d%H%M%S%f}" if moment else "-"


def _others(users: QuerySet[Any], actor: Any, *also: int | None) -> QuerySet[Any]:
    """Everyone in ``users`` but the actor (and anyone else in ``also``, e.g. who may not check the step)."""
    excluded = [pk for pk in (getattr(actor, "pk", None), *also) if pk]
    return users.exclude(pk__in=excluded) if excluded else users


def _provider_members(provider_id: int) -> QuerySet[Any]:
    """The provider organization's active people, joined through the provider (no extra query)."""
    return (
        get_user_model()
        .objects.filter(memberships__organization__voucher_provider__pk=provider_id, is_active=True)
        .distinct()
    )


def _application_url(application: Application) -> str:
    return reverse("vouchers:application-detail", args=[application.code])


def _order_url(order: ServiceOrder) -> str:
    return reverse("vouchers:order-detail", args=[order.code])


def _claim_url(claim: SettlementClaim) -> str:
    return reverse("vouchers:claim-detail", args=[claim.code])


def _voucher_url(voucher: Voucher) -> str:
    return reverse("vouchers:voucher-detail", args=[voucher.code])


def _batch_url(batch: SettlementBatch) -> str:
    return reverse("vouchers:batch-detail", args=[batch.code])


# --- applications: the two-level review ---------------------------------------------------------------


def application_submitted(application: Application, *, actor: Any) -> None:
    """Operators review it (never the one who submitted it)."""
    notification_send(
        recipients=_others(role_holders(Role.OPERATOR), actor, application.submitted_by_id),
        kind="vouchers.application.review",
        title=lazy_text(
            _("待初审创新券申领 %(code)s：申请额度 %(y)s 元"),
            code=application.code,
            y=_yuan(application.requested_fen),
        ),
        body=lazy_text(_("申请企业：%(org)s。"), org=application.enterprise.name),
        url=_application_url(application),
        dedupe_key=f"vouchers.application.submitted:{application.code}",
    )


def application_reviewed(application: Application, *, actor: Any) -> None:
    """Passed: leaders approve it (not the submitter nor the first reviewer). Rejected: the enterprise hears why."""
    if application.status == ApplicationStatus.REVIEWED:
        notification_send(
            recipients=_others(
                role_holders(Role.LEADER),
                actor,
                application.submitted_by_id,
                application.operator_reviewer_id,
            ),
            kind="vouchers.application.approve",
            title=lazy_text(
                _("待审批创新券申领 %(code)s：初审建议额度 %(y)s 元"),
                code=application.code,
                y=_yuan(application.recommended_fen),
            ),
            body=application.operator_note,
            url=_application_url(application),
            dedupe_key=f"vouchers.application.reviewed:{application.code}:{application.status}",
        )
        return
    if application.status != ApplicationStatus.REJECTED:
        return
    notification_send(
        recipients=_others(organization_members(application.enterprise_id), actor),
        kind="vouchers.application.rejected",
        title=lazy_text(
            _("您的创新券申领 %(code)s（%(y)s 元）初审未通过"),
            code=application.code,
            y=_yuan(application.requested_fen),
        ),
        body=application.operator_note,
        url=_application_url(application),
        dedupe_key=f"vouchers.application.reviewed:{application.code}:{application.status}",
    )


def application_decided(application: Application, *, actor: Any, voucher: Voucher | None = None) -> None:
    """The enterprise hears the leader's decision: the voucher and its amount, or the note."""
    if voucher is not None:
        notification_send(
            recipients=_others(organization_members(application.enterprise_id), actor),
            kind="vouchers.voucher.granted",
            title=lazy_text(
                _("您的创新券申领 %(code)s 已获批准：发放创新券 %(voucher)s，额度 %(y)s 元"),
                code=application.code,
                voucher=voucher.code,
                y=_yuan(voucher.granted_fen),
            ),
            body=lazy_text(_("有效期至 %(day)s。"), day=f"{voucher.expires_on:%Y-%m-%d}"),
            url=_voucher_url(voucher),
            dedupe_key=f"vouchers.application.decided:{application.code}:{application.status}",
        )
        return
    if application.status != ApplicationStatus.REJECTED:
        return
    notification_send(
        recipients=_others(organization_members(application.enterprise_id), actor),
        kind="vouchers.application.rejected",
        title=lazy_text(_("您的创新券申领 %(code)s 未获批准"), code=application.code),
        body=application.leader_note,
        url=_application_url(application),
        dedupe_key=f"vouchers.application.decided:{application.code}:{application.status}",
    )


# --- vouchers: revocation and expiry -------------------------------------------------------------------


def voucher_revoked(voucher: Voucher, *, actor: Any, returned_fen: int) -> None:
    notification_send(
        recipients=_others(organization_members(voucher.enterprise_id), actor),
        kind="vouchers.voucher.revoked",
        title=lazy_text(
            _("您的创新券 %(code)s 已被撤销，收回余额 %(y)s 元"), code=voucher.code, y=_yuan(returned_fen)
        ),
        body=voucher.revoke_reason,
        url=_voucher_url(voucher),
        dedupe_key=f"vouchers.voucher.revoked:{voucher.code}",
    )


def voucher_expired(voucher: Voucher, *, actor: Any, returned_fen: int) -> None:
    notification_send(
        recipients=_others(organization_members(voucher.enterprise_id), actor),
        kind="vouchers.voucher.expired",
        title=lazy_text(
            _("您的创新券 %(code)s 已到期，未使用的 %(y)s 元已收回"), code=voucher.code, y=_yuan(returned_fen)
        ),
        body=_("已交付待确认的订单仍可确认或取消。"),
        url=_voucher_url(voucher),
        dedupe_key=f"vouchers.voucher.expired:{voucher.code}",
    )


# --- orders --------------------------------------------------------------------------------------------


def order_placed(order: ServiceOrder, *, actor: Any) -> None:
    """The provider takes the order or declines it."""
    notification_send(
        recipients=_others(organization_members(order.provider.organization_id), actor),
        kind="vouchers.order.placed",
        title=lazy_text(
            _("新订单 %(code)s 待接单：%(service)s，服务金额 %(price)s 元（创新券支付 %(y)s 元）"),
            code=order.code,
            service=order.service.name,
            price=_yuan(order.price_fen),
            y=_yuan(order.voucher_fen),
        ),
        body=order.note,
        url=_order_url(order),
        dedupe_key=f"vouchers.order.placed:{order.code}",
    )


def order_answered(order: ServiceOrder, *, actor: Any, accepted: bool) -> None:
    """The enterprise hears that the provider took the order, or why it declined (the hold is released)."""
    values = {"code": order.code, "org": order.provider.organization.name, "y": _yuan(order.voucher_fen)}
    if accepted:
        title = lazy_text(_("订单 %(code)s 已由 %(org)s 接单，服务进行中"), **values)
    else:
        title = lazy_text(_("订单 %(code)s 被 %(org)s 拒单，冻结的创新券额度 %(y)s 元已释放"), **values)
    notification_send(
        recipients=_others(organization_members(order.enterprise_id), actor),
        kind="vouchers.order.accepted" if accepted else "vouchers.order.declined",
        title=title,
        body="" if accepted else order.close_reason,
        url=_order_url(order),
        dedupe_key=f"vouchers.order.{'accepted' if accepted else 'declined'}:{order.code}",
    )


def order_delivered(order: ServiceOrder, *, actor: Any) -> None:
    """The enterprise confirms the delivery (someone other than the one who delivered)."""
    notification_send(
        recipients=_others(organization_members(order.enterprise_id), actor, order.delivered_by_id),
        kind="vouchers.order.delivered",
        title=lazy_text(
            _("订单 %(code)s 已交付，请确认（确认后核销创新券 %(y)s 元）"),
            code=order.code,
            y=_yuan(order.voucher_fen),
        ),
        body=order.delivery_note,
        url=_order_url(order),
        dedupe_key=f"vouchers.order.delivered:{order.code}",
    )


def order_confirmed(order: ServiceOrder, *, actor: Any) -> None:
    """The provider may now claim settlement of the redeemed share."""
    notification_send(
        recipients=_others(organization_members(order.provider.organization_id), actor),
        kind="vouchers.order.confirmed",
        title=lazy_text(
            _("订单 %(code)s 已确认交付，核销创新券 %(y)s 元，可申请结算"),
            code=order.code,
            y=_yuan(order.redeemed_fen),
        ),
        url=_order_url(order),
        dedupe_key=f"vouchers.order.confirmed:{order.code}",
    )


def order_cancelled(order: ServiceOrder, *, actor: Any) -> None:
    """The provider stops working on an order the enterprise cancelled."""
    notification_send(
        recipients=_others(organization_members(order.provider.organization_id), actor),
        kind="vouchers.order.cancelled",
        title=lazy_text(_("订单 %(code)s 已被企业取消"), code=order.code),
        body=order.close_reason,
        url=_order_url(order),
        dedupe_key=f"vouchers.order.cancelled:{order.code}",
    )


# --- settlement ----------------------------------------------------------------------------------------


def claim_submitted(claim: SettlementClaim, *, actor: Any) -> None:
    """Operators review it (never the one who submitted it); a resubmission is a new round."""
    notification_send(
        recipients=_others(role_holders(Role.OPERATOR), actor, claim.submitted_by_id),
        kind="vouchers.claim.review",
        title=lazy_text(_("待审核结算申请 %(code)s：%(y)s 元"), code=claim.code, y=_yuan(claim.amount_fen)),
        body=lazy_text(
            _("发票号码 %(n)s，发票金额 %(i)s 元。"),
            n=claim.invoice_number,
            i=_yuan(claim.invoice_amount_fen),
        ),
        url=_claim_url(claim),
        dedupe_key=f"vouchers.claim.submitted:{claim.code}:{_stamp(claim.submitted_at)}",
    )


def claim_reviewed(claim: SettlementClaim, *, actor: Any) -> None:
    values = {"code": claim.code, "y": _yuan(claim.amount_fen)}
    if claim.status == ClaimStatus.APPROVED:
        title = lazy_text(_("结算申请 %(code)s（%(y)s 元）已审核通过，将纳入月度结算批次"), **values)
    else:
        title = lazy_text(_("结算申请 %(code)s（%(y)s 元）被退回，请按意见修改后重新提交"), **values)
    notification_send(
        recipients=_others(_provider_members(claim.provider_id), actor),
        kind="vouchers.claim.reviewed",
        title=title,
        body=claim.review_note,
        url=_claim_url(claim),
        dedupe_key=f"vouchers.claim.reviewed:{claim.code}:{claim.status}:{_stamp(claim.submitted_at)}",
    )


def batch_created(batch: SettlementBatch, *, actor: Any) -> None:
    """Leaders approve it (never the one who made it)."""
    notification_send(
        recipients=_others(role_holders(Role.LEADER), actor, batch.created_by_id),
        kind="vouchers.batch.approve",
        title=lazy_text(
            _("待审批结算批次 %(code)s：%(n)s 笔，共 %(y)s 元"),
            code=batch.code,
            n=batch.claim_count,
            y=_yuan(batch.total_fen),
        ),
        url=_batch_url(batch),
        dedupe_key=f"vouchers.batch.created:{batch.code}",
    )


def batch_returned(
    *, code: str, creator_id: int | None, actor: Any, reason: str, count: int, removed: bool
) -> None:
    """Operators (the maker among them) hear which claims went back to review, and why."""
    title = (
        lazy_text(_("结算批次 %(code)s 被退回，%(n)s 笔结算申请回到审核"), code=code, n=count)
        if removed
        else lazy_text(_("结算批次 %(code)s 中 %(n)s 笔结算申请被退回审核"), code=code, n=count)
    )
    notification_send(
        recipients=_others(role_holders(Role.OPERATOR), actor),
        kind="vouchers.batch.returned",
        title=title,
        body=reason,
        url=reverse("vouchers:batch-list"),
    )


def batch_approved(batch: SettlementBatch, *, actor: Any) -> None:
    """Operators record the payment."""
    notification_send(
        recipients=_others(role_holders(Role.OPERATOR), actor),
        kind="vouchers.batch.pay",
        title=lazy_text(
            _("结算批次 %(code)s 已审批，请登记支付：%(n)s 笔，共 %(y)s 元"),
            code=batch.code,
            n=batch.claim_count,
            y=_yuan(batch.total_fen),
        ),
        url=_batch_url(batch),
        dedupe_key=f"vouchers.batch.approved:{batch.code}",
    )


def batch_paid(batch: SettlementBatch, *, actor: Any) -> None:
    """Each provider in the batch hears what it was paid (one query for the claims, one per provider)."""
    by_organization: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for code, amount, organization_id in (
        SettlementClaim.objects.filter(batch=batch)
        .order_by("code")
        .values_list("code", "amount_fen", "provider__organization_id")
    ):
        by_organization[organization_id].append((code, amount))
    for organization_id, claims in by_organization.items():
        codes = [code for code, _amount in claims]
        url = (
            reverse("vouchers:claim-detail", args=[codes[0]])
            if len(codes) == 1
            else reverse("vouchers:claim-list")
        )
        notification_send(
            recipients=_others(organization_members(organization_id), actor),
            kind="vouchers.batch.paid",
            title=lazy_text(
                _("结算批次 %(code)s 已支付：贵机构 %(n)s 笔，共 %(y)s 元"),
                code=batch.code,
                n=len(claims),
                y=_yuan(sum(amount for _code, amount in claims)),
            ),
            body=lazy_text(_("结算申请：%(codes)s"), codes="、".join(codes)),
            url=url,
            dedupe_key=f"vouchers.batch.paid:{batch.code}:{organization_id}",
        )


# --- providers -----------------------------------------------------------------------------------------


def provider_registered(provider: Provider, *, actor: Any) -> None:
    """Operators review the registration (never the one who applied); a re-registration is a new round."""
    notification_send(
        recipients=_others(role_holders(Role.OPERATOR), actor, provider.applied_by_id),
        kind="vouchers.provider.review",
        title=lazy_text(
            _("服务机构入驻待审核：%(org)s（%(code)s）"), org=provider.organization.name, code=provider.code
        ),
        url=reverse("vouchers:provider-detail", args=[provider.code]),
        dedupe_key=f"vouchers.provider.registered:{provider.code}:{_stamp(provider.applied_at)}",
    )


def provider_reviewed(provider: Provider, *, actor: Any) -> None:
    if provider.status == ProviderStatus.APPROVED:
        title = lazy_text(
            _("贵机构的入驻申请 %(code)s 已通过，可以发布服务并承接创新券订单"), code=provider.code
        )
    else:
        title = lazy_text(_("贵机构的入驻申请 %(code)s 未通过"), code=provider.code)
    notification_send(
        recipients=_others(organization_members(provider.organization_id), actor),
        kind="vouchers.provider.reviewed",
        title=title,
        body=provider.review_note,
        url=reverse("vouchers:provider-detail", args=[provider.code]),
        dedupe_key=f"vouchers.provider.reviewed:{provider.code}:{provider.status}:{_stamp(provider.applied_at)}",
    )
