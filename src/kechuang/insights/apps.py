from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "kechuang.insights"
    label = "insights"
    verbose_name = _("数据洞察")

    def ready(self) -> None:
        from kechuang.accounts.choices import Role
        from kechuang.accounts.roles import NavItem, register_navigation
        from kechuang.core.registry import register_demo_generator, register_home_panel

        from . import permissions  # noqa: F401  (registers the rules permissions)
        from .catalogue import register_all
        from .demo import make_demo_targets
        from .home import insights_home_panel

        register_all()
        register_navigation(
            NavItem(
                "insights:dashboard", _("五大高地"), frozenset({Role.LEADER, Role.OPERATOR}), group="manage"
            ),
            NavItem("insights:operator", _("指标与报表"), frozenset({Role.OPERATOR}), group="manage"),
            before="admin:index",
        )
        register_home_panel(insights_home_panel)
        # after every module's generator, those of apps installed later too (investment, IP): the targets
        # are set from their figures, and a KPI at 0 when its target was set got a target of 1
        register_demo_generator("insights.targets", make_demo_targets, last=True)
