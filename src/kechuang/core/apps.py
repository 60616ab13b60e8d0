from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


def import_permission_modules() -> None:
    """Import every platform app's ``permissions.py`` so its ``rules.add_perm`` calls run at start-up.

    ``rules`` only autodiscovers modules named ``rules.py``; without this, ``user.has_perm(...)`` is
    False in a shell, a command or a template until some view happens to import the module.
    """
    for config in apps.get_app_configs():
        if config.name.startswith("kechuang.") and find_spec(f"{config.name}.permissions") is not None:
            import_module(f"{config.name}.permissions")


def create_cache_table(using: str = "default", **kwargs: object) -> None:
    """After every ``migrate``: the table of the database cache, the embedded default of ``CACHE_URL``
    (docs/adr/0016-shared-state-and-backups.md), so an install on SQLite needs no other step.
    Does nothing when no cache uses the database, or when the table exists."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "kechuang.core"
    label = "core"
    verbose_name = _("平台核心")

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from . import signals  # noqa: F401  (login/logout/lockout audit receivers)
        from .figures import request_began, request_ended

        request_started.connect(request_began, dispatch_uid="kechuang-figures-request-began")
        request_finished.connect(request_ended, dispatch_uid="kechuang-figures-request-ended")
        from . import readahead

        request_started.connect(readahead.request_began, dispatch_uid="kechuang-readahead-began")
        request_finished.connect(readahead.request_ended, dispatch_uid="kechuang-readahead-ended")

        import_permission_modules()

        from .roles import NavItem, Role, register_navigation

        # last, after the modules' own entries (they insert theirs before admin:index)
        register_navigation(
            NavItem("core:scheduler", _("定时任务"), frozenset({Role.OPERATOR}), group="manage")
        )

        from django.db.models.signals import post_migrate

        post_migrate.connect(create_cache_table, sender=self)

        # Admin deletions one object at a time, so each one reaches the audit log (signals.py); the
        # bulk action writes Django's admin log with bulk_create, which sends no signal.
        from django.contrib import admin

        if "delete_selected" in {name for name, action in admin.site.actions}:
            admin.site.disable_action("delete_selected")
