from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles of docs/design.md §2; each is a Django group of the same name. The system administrator and the
    auditor are separate from the staff roles (separation of duties)."""

    OPERATOR = "operator", _("运营人员")
    COMMISSIONER = "commissioner", _("企业专员")
    LEADER = "leader", _("班子领导")
    INSTITUTE = "institute", _("院所")
    ENTERPRISE = "enterprise", _("企业")
    PROVIDER = "provider", _("服务机构")
    EXPERT = "expert", _("专家")
    SYSADMIN = "sysadmin", _("系统管理员")
    AUDITOR = "auditor", _("审计员")


STAFF_ROLES = frozenset({Role.OPERATOR, Role.COMMISSIONER, Role.LEADER})
