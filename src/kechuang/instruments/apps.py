from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstrumentsConfig(AppConfig):
    name = "kechuang.instruments"
    label = "instruments"
    verbose_name = _("共享仪器")

    def ready(self) -> None:
        from kechuang.core.codes import register_code_kinds

        register_code_kinds(
            "instruments", {"YQ": "共享仪器", "YY": "机时预约", "WT": "委托测试", "FP": "收费发票"}
        )
        from kechuang.accounts.choices import Role
        from kechuang.accounts.roles import NavItem, register_navigation
        from kechuang.core.registry import register_home_panel

        from . import permissions  # noqa: F401  (registers the rules permissions)
        from .home import instruments_home_panel

        register_navigation(
            NavItem("instruments:instrument-list", _("共享仪器"), frozenset(), group="service"),
            NavItem(
                "instruments:booking-list",
                _("我的仪器预约"),
                frozenset({Role.ENTERPRISE, Role.INSTITUTE, Role.PROVIDER}),
                group="service",
            ),
            NavItem(
                "instruments:owner-queue",
                _("仪器管理"),
                frozenset({Role.INSTITUTE, Role.PROVIDER, Role.OPERATOR}),
                group="service",
            ),
            NavItem(
                "instruments:overview",
                _("共享仪器总览"),
                frozenset({Role.OPERATOR, Role.LEADER}),
                group="service",
            ),
            before="admin:index",
        )
        register_home_panel(instruments_home_panel)
        from .matching import register as register_index_source

        register_index_source()

        try:
            from kechuang.directory.demo import register_demo_generator
        except ImportError:  # pragma: no cover
            return
        from .demo import generate

        register_demo_generator("instruments", generate)
