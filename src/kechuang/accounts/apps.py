from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kechuang.accounts"
    label = "accounts"
    verbose_name = _("账号与权限")

    def ready(self) -> None:
        from kechuang.core import registry

        from .middleware import acting_organization_in_session
        from .roles import navigation_context
        from .setup import ensure_role_groups

        registry.register_acting_organization_resolver(acting_organization_in_session)
        registry.register_page_context(navigation_context)

        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="kechuang-role-groups")
