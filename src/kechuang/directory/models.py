"""Organizations, people, the technology-field taxonomy and the district's geography (docs/design.md §3.1)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import uscc as uscc_rules
from .choices import PUBLIC_KINDS, BuildingUse, OrganizationKind, SizeBand, Title


class TechnologyField(models.Model):
    """A node of the technology-field tree; the four future-industry clusters are the roots."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级"),
    )
    keywords = models.CharField(
        _("关键词"), max_length=300, blank=True, help_text=_("用于匹配的同义词，空格分隔")
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("技术领域")
        verbose_name_plural = _("技术领域")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("上级领域不能是自身或下级领域。")})
            seen.add(node.pk)
            node = node.parent


class Industry(models.Model):
    """国民经济行业分类 (GB/T 4754-2017): sections and divisions used by the district."""

    code = models.CharField(_("行业代码"), max_length=8, unique=True)
    name = models.CharField(_("行业名称"), max_length=80)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("门类"),
    )

    class Meta:
        verbose_name = _("国民经济行业")
        verbose_name_plural = _("国民经济行业")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Block(models.Model):
    """An industrial block (产业空间板块), e.g. 菊东, 菊中, 菊西."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    theme = models.CharField(_("产业方向"), max_length=200, blank=True)
    description = models.TextField(_("简介"), blank=True)
    shape = models.JSONField(_("示意图形状"), default=list, blank=True, help_text=_("示意地图上的多边形顶点"))
    color = models.CharField(_("颜色"), max_length=16, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("产业板块")
        verbose_name_plural = _("产业板块")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Park(models.Model):
    """A science park, usually paired with an institute."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    block = models.ForeignKey(
        Block,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parks",
        verbose_name=_("所在板块"),
    )
    institute = models.ForeignKey(
        "Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="paired_parks",
        verbose_name=_("依托院所"),
    )
    theme = models.CharField(_("产业主题"), max_length=200, blank=True)
    description = models.TextField(_("简介"), blank=True)
    fields = models.ManyToManyField(
        TechnologyField, blank=True, related_name="parks", verbose_name=_("技术领域")
    )
    x = models.FloatField(_("示意图横坐标"), default=0)
    y = models.FloatField(_("示意图纵坐标"), default=0)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("科创园区")
        verbose_name_plural = _("科创园区")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Line(models.Model):
    """A 科创融合线: a corridor or belt drawn as a polyline on the schematic map."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    description = models.TextField(_("简介"), blank=True)
    roads = models.CharField(_("沿线道路"), max_length=200, blank=True)
    path = models.JSONField(_("示意图路径"), default=list, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("科创融合线")
        verbose_name_plural = _("科创融合线")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building or site in a park or block."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    park = models.ForeignKey(
        Park,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
        verbose_name=_("所在园区"),
    )
    block = models.ForeignKey(
        Block,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
        verbose_name=_("所在板块"),
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    use = models.CharField(_("用途"), max_length=16, choices=BuildingUse.choices, default=BuildingUse.MIXED)
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    gross_area_m2 = models.PositiveIntegerField(_("建筑面积（㎡）"), null=True, blank=True)
    x = models.FloatField(_("示意图横坐标"), default=0)
    y = models.FloatField(_("示意图纵坐标"), default=0)

    class Meta:
        verbose_name = _("楼宇")
        verbose_name_plural = _("楼宇")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Organization(models.Model):
    """An institute, enterprise, service provider, incubator, park operator or government unit."""

    kind = models.CharField(_("类型"), max_length=16, choices=OrganizationKind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=120)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True)
    industry = models.ForeignKey(
        Industry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organizations",
        verbose_name=_("所属行业"),
    )
    fields = models.ManyToManyField(
        TechnologyField, blank=True, related_name="organizations", verbose_name=_("技术领域")
    )
    qualifications = models.JSONField(_("资质"), default=list, blank=True)
    block = models.ForeignKey(
        Block,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organizations",
        verbose_name=_("所在板块"),
    )
    park = models.ForeignKey(
        Park,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organizations",
        verbose_name=_("所在园区"),
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    size_band = models.CharField(_("规模"), max_length=8, choices=SizeBand.choices, blank=True)
    is_key = models.BooleanField(_("重点企业"), default=False)
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    description = models.TextField(_("简介"), blank=True)
    website = models.URLField(_("网站"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    researchers = models.PositiveIntegerField(_("科研人员数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["kind", "name"])]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="organization_unique_kind_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_KINDS

    def clean(self) -> None:
        if self.uscc:
            try:
                self.uscc = uscc_rules.validate(self.uscc)
            except uscc_rules.USCCError as error:
                raise ValidationError({"uscc": str(error)}) from error
        elif self.kind == OrganizationKind.ENTERPRISE:
            raise ValidationError({"uscc": _("企业必须填写统一社会信用代码。")})
        else:
            self.uscc = None


class Person(models.Model):
    """A researcher, expert, or contact person. Phones are masked for roles that do not need them."""

    name = models.CharField(_("姓名"), max_length=40)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
        verbose_name=_("所在机构"),
    )
    position = models.CharField(_("职务"), max_length=60, blank=True)
    title = models.CharField(_("职称"), max_length=20, choices=Title.choices, blank=True)
    fields = models.ManyToManyField(
        TechnologyField, blank=True, related_name="people", verbose_name=_("研究领域")
    )
    expertise = models.CharField(_("专长"), max_length=300, blank=True)
    is_expert = models.BooleanField(_("入库专家"), default=False, db_index=True)
    is_academician = models.BooleanField(_("院士"), default=False)
    is_researcher = models.BooleanField(_("科研人员"), default=False)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    bio = models.TextField(_("简介"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        verbose_name=_("平台账号"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name", "phone"], name="person_unique_org_name_phone"
            ),
        ]

    def __str__(self) -> str:
        return self.name
