from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "kechuang.directory"
    label = "directory"
    verbose_name = _("名录")

    def ready(self) -> None:
        from kechuang.core.registry import (
            register_demo_accounts,
            register_district_profile,
            register_home_panel,
            register_page_context,
        )

        from .demo.accounts import ensure_demo_accounts
        from .home import directory_home_panel, district_page_context
        from .selectors import district_profile

        register_home_panel(directory_home_panel, order=900)
        register_page_context(district_page_context)
        register_demo_accounts(ensure_demo_accounts)
        register_district_profile(district_profile)
