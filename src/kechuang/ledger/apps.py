from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "kechuang.ledger"
    label = "ledger"
    verbose_name = _("资金账本")

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers the rules permissions)
