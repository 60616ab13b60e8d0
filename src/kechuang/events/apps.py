from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "kechuang.events"
    label = "events"
    verbose_name = _("活动与赛事")

    def ready(self) -> None:
        from kechuang.core.codes import register_code_kinds

        register_code_kinds(
            "events",
            {
                "HD": "活动",
                "BM": "活动报名",
                "DS": "大赛",
                "CS": "参赛项目",
                "YI": "公示异议",
                "JJ": "奖金拨付",
                "YT": "路演约谈",
                "TR": "路演对接结果",
            },
        )
        from kechuang.core.registry import register_home_panel
        from kechuang.core.roles import NavItem, Role, register_navigation

        from . import permissions  # noqa: F401  (registers the rules permissions)
        from .home import events_home_panel

        organizers = frozenset({Role.OPERATOR, Role.ENTERPRISE, Role.INSTITUTE, Role.PROVIDER})
        register_navigation(
            NavItem("events:event-list", _("活动与赛事"), frozenset(), group="district"),
            NavItem("events:competition-list", _("创新创业大赛"), frozenset(), group="district"),
            NavItem("events:my-registrations", _("我的报名"), None, group="district"),
            NavItem("events:roadshow", _("路演对接"), None, group="district"),
            NavItem(
                "events:manage-list", _("活动管理"), organizers, group="district"
            ),  # organizers: not a bar item of its own
            NavItem("events:review-list", _("活动审核"), frozenset({Role.OPERATOR}), group="manage"),
            before="admin:index",
        )
        register_home_panel(events_home_panel)
        try:
            from kechuang.directory.demo import register_demo_generator
        except ImportError:  # pragma: no cover
            return
        from .demo import generate

        register_demo_generator("events", generate)
