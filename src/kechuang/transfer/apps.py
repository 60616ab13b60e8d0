from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransferConfig(AppConfig):
    name = "kechuang.transfer"
    label = "transfer"
    verbose_name = _("技术转移")

    def ready(self) -> None:
        from kechuang.core.codes import register_code_kinds

        register_code_kinds(
            "transfer",
            {"CG": "科技成果", "XQ": "技术需求", "YX": "对接意向", "DJ": "对接项目", "HT": "技术合同登记"},
        )
        from kechuang.accounts.choices import Role
        from kechuang.accounts.roles import NavItem, register_navigation
        from kechuang.core.registry import register_home_panel

        from . import permissions  # noqa: F401  (registers the rules permissions)
        from .home import transfer_home_panel

        authors = frozenset({Role.INSTITUTE, Role.ENTERPRISE})
        register_navigation(
            NavItem("transfer:achievement-list", _("科技成果"), frozenset(), group="transfer"),
            NavItem("transfer:demand-list", _("技术需求"), frozenset(), group="transfer"),
            NavItem("transfer:search", _("搜索成果与需求"), frozenset(), group="transfer"),
            NavItem("transfer:my-listings", _("我的发布"), authors, group="transfer"),
            NavItem("transfer:interest-inbox", _("收到的意向"), authors, group="transfer"),
            NavItem(
                "transfer:deal-board",
                _("对接项目"),
                frozenset({Role.OPERATOR, Role.LEADER}) | authors,
                group="transfer",
            ),
            NavItem("transfer:review-queue", _("发布审核"), frozenset({Role.OPERATOR}), group="transfer"),
            NavItem("transfer:matching-board", _("推荐匹配"), frozenset({Role.OPERATOR}), group="transfer"),
            before="admin:index",
        )
        register_home_panel(transfer_home_panel)
        from kechuang.core.registry import SearchIndexState, register_demo_generator, register_search_index

        from . import matching
        from .demo import generate

        register_search_index(
            SearchIndexState(
                is_ready=matching.is_ready,
                size=lambda: len(matching.get_engine()),
                missing_vector_ids=matching.missing_vector_ids,
                enqueue_missing=matching.enqueue_missing,
                reindex_command="match_reindex",
                task_path="kechuang.transfer.tasks.index_missing",
            )
        )

        register_demo_generator("transfer", generate)
