"""Choices of the service desk (docs/design.md §3.6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestCategory(models.TextChoices):
    """诉求类别: the categories of docs/design.md §3.6; each has its own SLA policy."""

    POLICY = "policy", _("政策")
    SPACE = "space", _("空间")
    TALENT = "talent", _("人才")
    FINANCING = "financing", _("融资")
    IP = "ip", _("知识产权")
    APPROVAL = "approval", _("审批")
    OTHER = "other", _("其他")


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待响应")
    IN_PROGRESS = "in_progress", _("办理中")
    HANDED_OVER = "handed_over", _("已转办")
    RESOLVED = "resolved", _("已办结")
    CLOSED = "closed", _("已关闭")
    WITHDRAWN = "withdrawn", _("已撤回")


class RequestChannel(models.TextChoices):
    PLATFORM = "platform", _("平台提交")
    PHONE = "phone", _("电话")
    VISIT = "visit", _("走访中提出")
    OTHER = "other", _("其他")


class RequestEventKind(models.TextChoices):
    FILED = "filed", _("提交诉求")
    MESSAGE = "message", _("留言")
    NOTE = "note", _("内部备注")
    RESPONDED = "responded", _("首次响应")
    HANDED_OVER = "handed_over", _("转办部门")
    RESOLVED = "resolved", _("办结")
    CLOSED = "closed", _("企业关闭并评价")
    REOPENED = "reopened", _("重新打开")
    WITHDRAWN = "withdrawn", _("企业撤回")
    REMINDED = "reminded", _("临期提醒")
    ESCALATED = "escalated", _("超时升级")
    REASSIGNED = "reassigned", _("更换专员")
    ATTACHED = "attached", _("上传附件")


class SlaClock(models.TextChoices):
    RESPONSE = "response", _("首次响应")
    RESOLUTION = "resolution", _("办结")


class AssignmentRole(models.TextChoices):
    COMMISSIONER = "commissioner", _("服务专员")
    LEADER = "leader", _("包保领导")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class PlanItemKind(models.TextChoices):
    NEED = "need", _("企业需求")
    COMMITMENT = "commitment", _("服务承诺")
    FOLLOW_UP = "follow_up", _("跟进事项")


class PlanItemStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")
    DROPPED = "dropped", _("已取消")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("已计划")
    DONE = "done", _("已走访")
    CANCELLED = "cancelled", _("已取消")


class Department(models.TextChoices):
    """Departments a request may be handed over to; ``other`` takes a free-text name."""

    DEVELOPMENT = "development", _("经济发展办")
    PLANNING = "planning", _("规划建设办")
    HR = "hr", _("人社服务中心")
    MARKET = "market", _("市场监管所")
    TAX = "tax", _("税务所")
    FINANCE = "finance", _("财政所")
    SCIENCE = "science", _("科委（科创办）")
    IP_OFFICE = "ip_office", _("知识产权局")
    APPROVAL = "approval", _("行政服务中心")
    OTHER = "other", _("其他部门")
