from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransferConfig(AppConfig):
    name = "kechuang.transfer"
    label = "transfer"
    verbose_name = _("技术转移")
