from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "kechuang.servicedesk"
    label = "servicedesk"
    verbose_name = _("企业服务")
