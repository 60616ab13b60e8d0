"""What a ledger call can refuse. Each error is an ``ApplicationError`` (a ``ValidationError``) with a
Chinese message and a code, so a view shows the message and the API answers its status (400; 409 for a
reused idempotency key; 503 when the ledger stayed busy); nothing is written when one is raised."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kechuang.core.errors import ApplicationError


class LedgerError(ApplicationError):
    default_code = "ledger_error"


class InvalidPosting(LedgerError):
    """The request itself is malformed: unbalanced, zero or negative amounts, unknown accounts…"""

    default_code = "invalid_posting"


class InsufficientFunds(LedgerError):
    default_code = "insufficient_funds"

    def __init__(self, account_code: str = "", *, available_fen: int = 0, requested_fen: int = 0) -> None:
        self.account_code = account_code
        self.available_fen = available_fen
        self.requested_fen = requested_fen
        super().__init__(_("余额不足"))


class IdempotencyConflict(LedgerError):
    """The key was used before for a different request."""

    default_code = "idempotency_conflict"
    status = 409

    def __init__(self, key: str = "") -> None:
        self.key = key
        super().__init__(_("幂等键“%(key)s”已用于另一笔不同的请求，未记账。") % {"key": key[:80]})


class DuplicateBusinessReference(LedgerError):
    """A second posting for the same business event (e.g. paying one claim twice)."""

    default_code = "duplicate_reference"

    def __init__(self, reference: str = "") -> None:
        self.reference = reference
        super().__init__(
            _("该笔款项（%(reference)s）已经记账，不能重复支付。") % {"reference": reference[:80]}
        )


class HoldNotActive(LedgerError):
    default_code = "hold_not_active"

    def __init__(self, status_label: str = "") -> None:
        super().__init__(_("该笔冻结已处理（%(status)s），不能再次操作。") % {"status": status_label})


class LedgerBusy(LedgerError):
    """Serialization failures or deadlocks persisted through every retry."""

    default_code = "ledger_busy"
    status = 503

    def __init__(self) -> None:
        super().__init__(_("账本繁忙，请稍后重试（未记账）。"))
