from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChallengesConfig(AppConfig):
    name = "kechuang.challenges"
    label = "challenges"
    verbose_name = _("揭榜挂帅")

    def ready(self) -> None:
        from kechuang.core.codes import register_code_kinds

        register_code_kinds("challenges", {"JB": "榜单", "JS": "揭榜申请", "LX": "立项", "BF": "拨付"})
        from kechuang.accounts.roles import NavItem, register_navigation
        from kechuang.core.registry import register_demo_generator, register_home_panel

        from .demo import make_demo_challenges
        from .home import challenge_home_panel
        from .matching import register as register_index_source
        from .reconcile import register

        register()
        register_index_source()
        register_navigation(NavItem("challenges:home", _("揭榜挂帅"), frozenset(), group="challenges"))
        register_home_panel(challenge_home_panel)
        register_demo_generator("challenges.challenges", make_demo_challenges)
