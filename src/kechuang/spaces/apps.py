from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpacesConfig(AppConfig):
    name = "kechuang.spaces"
    label = "spaces"
    verbose_name = _("产业空间")

    def ready(self) -> None:
        from kechuang.core.codes import register_code_kinds

        register_code_kinds("spaces", {"SR": "用房需求", "VW": "看房预约", "RS": "房源预订", "LS": "租约"})
        from kechuang.accounts.choices import Role
        from kechuang.accounts.roles import NavItem, register_navigation
        from kechuang.core.registry import register_home_panel

        from . import permissions  # noqa: F401  (registers the rules permissions)
        from .home import spaces_home_panel

        register_navigation(
            NavItem("spaces:unit-list", _("房源"), None, group="spaces"),
            NavItem(
                "spaces:request-list",
                _("用房需求"),
                frozenset({Role.ENTERPRISE, Role.OPERATOR, Role.COMMISSIONER, Role.LEADER}),
                group="spaces",
            ),
            NavItem("spaces:vacancy-map", _("空置地图"), None, group="spaces"),
            before="admin:index",
        )
        register_home_panel(spaces_home_panel)
        from kechuang.core.registry import register_demo_generator

        from .demo import generate

        register_demo_generator("spaces", generate)
