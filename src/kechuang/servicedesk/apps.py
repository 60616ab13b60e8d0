from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "kechuang.servicedesk"
    label = "servicedesk"
    verbose_name = _("企业服务")

    def ready(self) -> None:
        from kechuang.core.codes import register_code_kinds

        register_code_kinds("servicedesk", {"SQ": "企业诉求", "ZF": "走访"})
        from kechuang.accounts.choices import Role
        from kechuang.accounts.roles import NavItem, register_navigation
        from kechuang.core.metrics import register_metric_source
        from kechuang.core.registry import (
            register_after_demo_accounts,
            register_demo_generator,
            register_home_panel,
        )

        from . import permissions  # noqa: F401  (registers the rules permissions)
        from .demo import attach_demo_accounts, make_demo_service_desk
        from .home import servicedesk_home_panel
        from .metrics import sla_readings

        register_navigation(
            NavItem(
                "servicedesk:request-list",
                _("企业服务"),
                frozenset({Role.ENTERPRISE, Role.COMMISSIONER, Role.LEADER, Role.OPERATOR}),
                group="service",
            ),
            before="admin:index",
        )
        register_home_panel(servicedesk_home_panel)
        register_demo_generator("servicedesk", make_demo_service_desk)
        register_after_demo_accounts(attach_demo_accounts)
        register_metric_source("servicedesk", sla_readings)

        # The pages' cached calendar (workcalendar.shown_calendar) and a commissioner's assigned
        # enterprises (permissions.assigned_organization_ids) are retired by any change to them, the
        # admin's included (core.figures).
        from django.db.models.signals import post_delete, post_save

        from kechuang.core.figures import changed_on_commit

        def calendar_changed(**_signal: object) -> None:
            changed_on_commit()

        for model in ("servicedesk.CalendarDay", "servicedesk.CalendarYear", "servicedesk.Assignment"):
            for signal in (post_save, post_delete):
                signal.connect(
                    calendar_changed, sender=model, weak=False, dispatch_uid=f"kechuang-calendar-{model}"
                )
