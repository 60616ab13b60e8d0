from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
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

        # What a cached principal holds (the user, roles, memberships and their organizations) is
        # retired by any write to it: accounts.principal.
        from .principal import retire_principals

        for model in ("accounts.User", "accounts.Membership", "auth.Group", "directory.Organization"):
            for signal in (post_save, post_delete):
                signal.connect(retire_principals, sender=model, dispatch_uid=f"kechuang-principal-{model}")
        from .models import User

        m2m_changed.connect(
            retire_principals, sender=User.groups.through, dispatch_uid="kechuang-principal-groups"
        )
