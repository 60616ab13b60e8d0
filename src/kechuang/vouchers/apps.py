from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VouchersConfig(AppConfig):
    name = "kechuang.vouchers"
    label = "vouchers"
    verbose_name = _("创新券")

    def ready(self) -> None:
        from kechuang.accounts.choices import Role
        from kechuang.accounts.roles import NavItem, register_navigation
        from kechuang.core.registry import register_home_panel
        from kechuang.directory.demo import register_demo_generator

        from . import permissions  # noqa: F401  (registers the rules permissions)
        from .demo import make_demo_vouchers
        from .home import voucher_home_panel
        from .reconcile import register

        register()
        register_navigation(
            NavItem(
                "vouchers:home",
                _("创新券"),
                frozenset({Role.OPERATOR, Role.LEADER, Role.ENTERPRISE, Role.PROVIDER, Role.AUDITOR}),
                group="vouchers",
            )
        )
        register_home_panel(voucher_home_panel)
        register_demo_generator("vouchers.ledger", make_demo_vouchers)
