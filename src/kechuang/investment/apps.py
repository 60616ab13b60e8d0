from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestmentConfig(AppConfig):
    name = "kechuang.investment"
    label = "investment"
    verbose_name = _("招商稳商")

    def ready(self) -> None:
        from kechuang.core.codes import register_code_kinds

        register_code_kinds("investment", {"ZS": "招商线索", "ZD": "重点项目", "WS": "稳商案件"})
        from kechuang.core.registry import register_after_demo_accounts, register_home_panel
        from kechuang.core.roles import NavItem, Role, register_navigation

        from . import permissions  # noqa: F401  (registers the rules permissions)
        from .home import investment_home_panel

        staff = frozenset({Role.OPERATOR, Role.COMMISSIONER, Role.LEADER})
        register_navigation(
            NavItem("investment:lead-board", _("招商线索"), staff, group="service"),
            NavItem(
                "investment:leader-view",
                _("招商全景"),
                frozenset({Role.OPERATOR, Role.LEADER}),
                group="service",
            ),
            NavItem("investment:project-list", _("重点项目"), staff, group="service"),
            NavItem("investment:retention-list", _("稳商预警"), staff, group="service"),
            before="admin:index",
        )
        register_home_panel(investment_home_panel, order=150)
        from .demo import attach_demo_accounts

        register_after_demo_accounts(attach_demo_accounts)
        try:
            from kechuang.directory.demo import register_demo_generator
        except ImportError:  # pragma: no cover
            return
        from .demo import generate

        register_demo_generator("investment", generate)
