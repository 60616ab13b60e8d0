from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IpConfig(AppConfig):
    name = "kechuang.ip"
    label = "ip"
    verbose_name = _("知识产权")

    def ready(self) -> None:
        from kechuang.core.codes import register_code_kinds

        register_code_kinds("ip", {"ZJ": "知识产权交易", "KF": "专利开放许可"})
        from kechuang.core.registry import register_demo_generator, register_home_panel
        from kechuang.core.roles import NavItem, Role, register_navigation
        from kechuang.insights.kpis import register_kpi_provider

        from . import permissions  # noqa: F401  (registers the rules permissions)
        from .home import ip_home_panel
        from .kpis import ip_kpis
        from .matching import register as register_index_source

        register_navigation(
            NavItem("ip:licence-list", _("专利开放许可"), frozenset(), group="transfer"),
            NavItem(
                "ip:portfolio",
                _("知识产权管理"),
                frozenset({Role.INSTITUTE, Role.ENTERPRISE}),
                group="transfer",
            ),
            NavItem(
                "ip:overview", _("知识产权总览"), frozenset({Role.OPERATOR, Role.LEADER}), group="transfer"
            ),
            before="admin:index",
        )
        register_home_panel(ip_home_panel, order=160)
        register_kpi_provider("ip", ip_kpis)
        register_index_source()
        from .demo import generate

        register_demo_generator("ip", generate)
