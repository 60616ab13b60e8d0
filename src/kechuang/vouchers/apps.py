from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VouchersConfig(AppConfig):
    name = "kechuang.vouchers"
    label = "vouchers"
    verbose_name = _("创新券")

    def ready(self) -> None:
        from kechuang.core.codes import register_code_kinds

        register_code_kinds(
            "vouchers",
            {
                "PC": "创新券批次",
                "FW": "服务机构",
                "FU": "服务产品",
                "SL": "创新券申领",
                "QZ": "创新券",
                "DD": "服务订单",
                "QK": "结算申请",
                "JP": "结算批次",
            },
        )
        from kechuang.accounts.choices import Role
        from kechuang.accounts.roles import NavItem, register_navigation
        from kechuang.core.registry import register_demo_generator, register_home_panel

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
