"""The shared money ledger (docs/design.md §3.5, docs/reliability.md G): accounts, an append-only double-entry journal in
integer fen, holds (authorisations) and the idempotency records of every write.

Rules the database itself enforces (docs/reliability.md G7):

- a line's amount is a positive integer (no zero, no negative line);
- an account of a non-negative kind never has ``balance_fen < held_fen`` (so never below zero either);
- an account never holds a negative amount; a hold's captured part lies within the hold;
- one idempotency key, one posting; one business reference (e.g. "pay claim JS-2026-000001"), one entry.

On PostgreSQL, triggers also refuse UPDATE and DELETE of journal entries, journal lines and postings
(migration 0002). What a single row cannot express — an entry's lines balance, a cached balance equals
the sum of its lines — is kept by :mod:`kechuang.ledger.services` (the only writer) and verified by
:mod:`kechuang.ledger.reconcile`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import NON_NEGATIVE_KINDS, AccountKind, HoldStatus, PostingOperation, Side


class Account(models.Model):
    """One account. ``balance_fen`` is the cached sum of its journal lines, oriented by its normal side
    (a debit raises an asset, a credit raises a liability); ``held_fen`` the sum of its active holds.
    ``line_count`` counts its lines, so the reconciliation also sees a lost or extra line."""

    code = models.CharField(_("账户编码"), max_length=100, unique=True)
    name = models.CharField(_("账户名称"), max_length=160)
    kind = models.CharField(_("类别"), max_length=16, choices=AccountKind.choices)
    normal_side = models.CharField(_("余额方向"), max_length=1, choices=Side.choices)
    group = models.CharField(
        _("所属分组"),
        max_length=60,
        blank=True,
        db_index=True,
        help_text=_("例如批次编号：同组账户满足会计恒等式"),
    )
    reference = models.CharField(_("业务对象"), max_length=60, blank=True)
    balance_fen = models.BigIntegerField(_("余额（分）"), default=0)
    held_fen = models.BigIntegerField(_("冻结（分）"), default=0)
    line_count = models.BigIntegerField(_("分录行数"), default=0)
    created_at = models.DateTimeField(_("开户时间"), default=timezone.now)

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=AccountKind.EXTERNAL) | Q(balance_fen__gte=0),
                name="ledger_account_balance_not_negative",
                violation_error_message=_("余额不能为负。"),
            ),
            models.CheckConstraint(
                condition=Q(kind=AccountKind.EXTERNAL) | Q(balance_fen__gte=F("held_fen")),
                name="ledger_account_held_within_balance",
                violation_error_message=_("冻结金额不能超过余额。"),
            ),
            models.CheckConstraint(condition=Q(held_fen__gte=0), name="ledger_account_held_not_negative"),
            models.CheckConstraint(
                condition=Q(line_count__gte=0), name="ledger_account_line_count_not_negative"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=AccountKind.ASSET, normal_side=Side.DEBIT)
                    | Q(kind__in=[AccountKind.LIABILITY, AccountKind.EQUITY], normal_side=Side.CREDIT)
                    | Q(kind=AccountKind.EXTERNAL, normal_side__in=[Side.DEBIT, Side.CREDIT])
                ),
                name="ledger_account_side_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def available_fen(self) -> int:
        return self.balance_fen - self.held_fen

    @property
    def must_not_go_negative(self) -> bool:
        return self.kind in NON_NEGATIVE_KINDS

    def signed(self, side: str, amount_fen: int) -> int:
        """How a line of ``amount_fen`` on ``side`` changes this account's balance."""
        return amount_fen if side == self.normal_side else -amount_fen


class JournalEntry(models.Model):
    """One balanced movement: its debit lines and its credit lines add up to the same ``total_fen``.
    Append-only: never updated or deleted (a correction is a new, reversing entry)."""

    uuid = models.UUIDField(_("凭证标识"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("业务类型"), max_length=40, db_index=True)
    memo = models.CharField(_("摘要"), max_length=200)
    reference = models.CharField(_("业务对象"), max_length=60, blank=True, db_index=True)
    business_reference = models.CharField(
        _("唯一业务事项"),
        max_length=120,
        null=True,
        blank=True,
        unique=True,
        help_text=_("同一事项（如一笔结算的支付）只能记账一次"),
    )
    total_fen = models.BigIntegerField(_("金额（分）"))
    line_count = models.PositiveSmallIntegerField(_("行数"))
    posted_at = models.DateTimeField(_("记账时间"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记账人"),
    )

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_fen__gt=0), name="ledger_entry_total_positive"),
            models.CheckConstraint(condition=Q(line_count__gte=2), name="ledger_entry_two_lines_or_more"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.memo}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("记账凭证只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("记账凭证只能追加，不能删除")

    @property
    def number(self) -> str:
        """The voucher number people read (记账凭证号)."""
        return f"JZ{timezone.localtime(self.posted_at):%Y%m}-{self.pk or 0:07d}"


class JournalLine(models.Model):
    """One side of an entry on one account. ``balance_after_fen`` is the account's balance right after
    this line, so the account's history can be replayed and checked line by line."""

    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, related_name="lines", verbose_name=_("凭证")
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lines", verbose_name=_("账户")
    )
    side = models.CharField(_("借贷"), max_length=1, choices=Side.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    balance_after_fen = models.BigIntegerField(_("记账后余额（分）"))

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0),
                name="ledger_line_amount_positive",
                violation_error_message=_("金额必须大于零。"),
            ),
            models.CheckConstraint(
                condition=Q(side__in=[Side.DEBIT, Side.CREDIT]), name="ledger_line_side_valid"
            ),
            models.UniqueConstraint(fields=["entry", "account"], name="ledger_line_one_per_account"),
        ]
        indexes = [models.Index(fields=["account", "id"], name="ledger_line_account_id")]

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.account_id} {self.amount_fen}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("分录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("分录只能追加，不能删除")


class Hold(models.Model):
    """An authorisation: ``amount_fen`` of an account's balance set aside for a later capture. It ends
    exactly once: captured (a journal entry moves up to the amount), voided, or expired."""

    uuid = models.UUIDField(_("冻结标识"), default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="holds", verbose_name=_("账户")
    )
    amount_fen = models.BigIntegerField(_("冻结金额（分）"))
    status = models.CharField(
        _("状态"), max_length=10, choices=HoldStatus.choices, default=HoldStatus.ACTIVE, db_index=True
    )
    captured_fen = models.BigIntegerField(_("入账金额（分）"), default=0)
    capture_entry = models.OneToOneField(
        JournalEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="captured_hold",
        verbose_name=_("入账凭证"),
    )
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    reference = models.CharField(_("业务对象"), max_length=60, blank=True, db_index=True)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("冻结时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("资金冻结")
        verbose_name_plural = _("资金冻结")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="ledger_hold_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_fen__gte=0) & Q(captured_fen__lte=F("amount_fen")),
                name="ledger_hold_capture_within_amount",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=HoldStatus.CAPTURED, capture_entry__isnull=False)
                    | (~Q(status=HoldStatus.CAPTURED) & Q(capture_entry__isnull=True, captured_fen=0))
                ),
                name="ledger_hold_capture_entry_iff_captured",
            ),
            models.CheckConstraint(
                condition=Q(status=HoldStatus.ACTIVE) | Q(resolved_at__isnull=False),
                name="ledger_hold_resolved_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="ledger_hold_status_expiry")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.amount_fen}"


class Posting(models.Model):
    """The idempotency record of one ledger write: the key, a fingerprint of the request, the request
    itself (canonical form) and the answer given. A replay with the same key and the same request gets
    this answer back; the same key with another request is refused. Append-only."""

    idempotency_key = models.CharField(_("幂等键"), max_length=160, unique=True)
    operation = models.CharField(_("操作"), max_length=10, choices=PostingOperation.choices)
    fingerprint = models.CharField(_("请求指纹"), max_length=64)
    request = models.JSONField(_("请求"))
    response = models.JSONField(_("应答"))
    entry = models.OneToOneField(
        JournalEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posting",
        verbose_name=_("凭证"),
    )
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="postings", verbose_name=_("冻结")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("记账请求")
        verbose_name_plural = _("记账请求")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(operation__in=[PostingOperation.POST, PostingOperation.CAPTURE], entry__isnull=False)
                    | Q(
                        operation__in=[PostingOperation.HOLD, PostingOperation.VOID, PostingOperation.EXPIRE],
                        entry__isnull=True,
                    )
                ),
                name="ledger_posting_entry_matches_operation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.idempotency_key}"
