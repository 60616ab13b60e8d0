from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstrumentsConfig(AppConfig):
    name = "kechuang.instruments"
    label = "instruments"
    verbose_name = _("共享仪器")

    def ready(self) -> None:
        from kechuang.core.codes import register_code_kinds

        register_code_kinds("instruments", {"YQ": "共享仪器", "YY": "机时预约", "WT": "委托测试"})
        from . import permissions  # noqa: F401  (registers the rules permissions)

        try:
            from kechuang.directory.demo import register_demo_generator
        except ImportError:  # pragma: no cover
            return
        from .demo import generate

        register_demo_generator("instruments", generate)
