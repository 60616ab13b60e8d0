from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    INSTITUTE = "institute", _("科研院所")
    ENTERPRISE = "enterprise", _("企业")
    PROVIDER = "provider", _("服务机构")
    INCUBATOR = "incubator", _("孵化器")
    PARK_OPERATOR = "park_operator", _("园区运营方")
    GOVERNMENT = "government", _("政府部门")
    INVESTOR = "investor", _("投资机构")


# Kinds whose profile is public (readable without signing in).
PUBLIC_KINDS = frozenset(
    {
        OrganizationKind.INSTITUTE,
        OrganizationKind.PROVIDER,
        OrganizationKind.INCUBATOR,
        OrganizationKind.PARK_OPERATOR,
        OrganizationKind.GOVERNMENT,
        OrganizationKind.INVESTOR,
    }
)


class Qualification(models.TextChoices):
    HIGH_TECH = "high_tech", _("高新技术企业")
    SPECIALIZED = "specialized", _("专精特新")
    LITTLE_GIANT = "little_giant", _("专精特新“小巨人”")
    TECH_SME = "tech_sme", _("科技型中小企业")
    LISTED = "listed", _("上市企业")
    GAZELLE = "gazelle", _("瞪羚企业")


class SizeBand(models.TextChoices):
    MICRO = "micro", _("微型（20人以下）")
    SMALL = "small", _("小型（20–99人）")
    MEDIUM = "medium", _("中型（100–999人）")
    LARGE = "large", _("大型（1000人以上）")


class Title(models.TextChoices):
    NONE = "", _("无")
    JUNIOR = "junior", _("初级职称")
    INTERMEDIATE = "intermediate", _("中级职称")
    ASSOCIATE_SENIOR = "associate_senior", _("副高级职称")
    SENIOR = "senior", _("正高级职称")


class BuildingUse(models.TextChoices):
    OFFICE = "office", _("办公")
    LAB = "lab", _("研发实验")
    PLANT = "plant", _("厂房")
    MIXED = "mixed", _("综合")
