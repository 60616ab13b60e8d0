"""Choices of the events module (活动与赛事)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.core import panels as core_panels


class SeriesKind(models.TextChoices):
    """The kinds of brand series a district profile lists under ``district.events``."""

    COMPETITION = "competition", _("赛事")
    CONFERENCE = "conference", _("大会")
    FORUM = "forum", _("论坛")
    OUTREACH = "outreach", _("科普")
    OTHER = "other", _("其他")


class EventKind(models.TextChoices):
    FORUM = "forum", _("论坛")
    OUTREACH = "outreach", _("科普活动")
    TRAINING = "training", _("培训")
    ROADSHOW = "roadshow", _("路演")
    COMPETITION = "competition", _("赛事")


class EventStatus(models.TextChoices):
    """draft → submitted (operator review) → published → finished; cancelled ends it with a reason;
    an operator who sends it back returns it to draft with the reason."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("已发布")
    CANCELLED = "cancelled", _("已取消")
    FINISHED = "finished", _("已结束")


PUBLIC_STATUSES = frozenset({EventStatus.PUBLISHED, EventStatus.FINISHED})


class VenueKind(models.TextChoices):
    BUILDING = "building", _("街区楼宇")
    AMENITY = "amenity", _("街区公共设施")
    ONLINE = "online", _("线上")


class Audience(models.TextChoices):
    ALL = "all", _("不限")
    PUBLIC = "public", _("社区居民与公众")
    STUDENTS = "students", _("中小学生")
    ENTERPRISES = "enterprises", _("企业")
    RESEARCHERS = "researchers", _("科研人员")
    INVESTORS = "investors", _("投资机构")


class Height(models.TextChoices):
    """The five heights (五大高地); the codes are those of the insights KPIs."""

    TRANSFER = "transfer", _("科研成果转化高地")
    RESOURCES = "resources", _("科创资源汇聚高地")
    INCUBATION = "incubation", _("科技企业孵化高地")
    TALENT = "talent", _("科技人才集聚高地")
    LITERACY = "literacy", _("科学素养培育高地")


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已报名")
    WAITLISTED = "waitlisted", _("候补中")
    CANCELLED = "cancelled", _("已取消")


ACTIVE_REGISTRATION = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class CompetitionStatus(models.TextChoices):
    """draft → open (报名中) → screening (资格审查) → first_round (初赛评审) → defence (决赛答辩) → publicity
    (公示中) → final (结果生效); an objection upheld during 公示 returns it to defence; cancelled ends it."""

    DRAFT = "draft", _("筹备中")
    OPEN = "open", _("报名中")
    SCREENING = "screening", _("资格审查")
    FIRST_ROUND = "first_round", _("初赛评审")
    DEFENCE = "defence", _("决赛答辩")
    PUBLICITY = "publicity", _("结果公示")
    FINAL = "final", _("结果生效")
    CANCELLED = "cancelled", _("已取消")


class EntryStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已报名")
    ELIGIBLE = "eligible", _("资格审查通过")
    INELIGIBLE = "ineligible", _("资格审查未通过")
    ELIMINATED = "eliminated", _("初赛未晋级")
    FINALIST = "finalist", _("晋级决赛")
    RANKED = "ranked", _("已排名")
    WITHDRAWN = "withdrawn", _("已撤回")


class Round(models.TextChoices):
    FIRST = "first", _("初赛（网评）")
    DEFENCE = "defence", _("决赛（8+7 答辩）")


# The rounds' panels open and close like the challenges' expert panels: the same choice set, reused.
PanelStatus = core_panels.PanelStatus


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


class MeetingSide(models.TextChoices):
    """Who asked for a roadshow meeting: the investor or the entry's team."""

    INVESTOR = "investor", _("投资机构")
    TEAM = "team", _("参赛团队")


class MeetingStatus(models.TextChoices):
    """requested → accepted / declined; the asker may withdraw a request not yet answered."""

    REQUESTED = "requested", _("待回复")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已婉拒")
    WITHDRAWN = "withdrawn", _("已撤回")


class OutcomeKind(models.TextChoices):
    """What came of a roadshow contact, in the order deals go: follow-up, term sheet, money in; or a pass."""

    FOLLOW_UP = "follow_up", _("持续跟进")
    TERM_SHEET = "term_sheet", _("签署投资意向书（TS）")
    INVESTED = "invested", _("完成投资")
    PASSED = "passed", _("暂不投资")


class AftercareStatus(models.TextChoices):
    OFFERED = "offered", _("待获奖企业确认")
    ACCEPTED = "accepted", _("已确认")
    DECLINED = "declined", _("获奖企业暂不需要")
