"""The append-only, hash-chained audit log (docs/reliability.md C1–C2)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditResult(models.TextChoices):
    OK = "ok", _("成功")
    FAILED = "failed", _("失败")
    DENIED = "denied", _("拒绝")


class AuditEvent(models.Model):
    """One audited action. Rows are never updated or deleted: the database refuses both, and each
    row's hash covers its content and the previous row's hash, so a changed row breaks the chain."""

    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip = models.CharField(_("地址"), max_length=64, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=32, blank=True)
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    result = models.CharField(_("结果"), max_length=8, choices=AuditResult.choices, default=AuditResult.OK)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.result}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("审计记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("审计记录只能追加，不能删除")

    def canonical(self) -> str:
        """The exact text the hash covers."""
        payload: dict[str, Any] = {
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_username": self.actor_username,
            "ip": self.ip,
            "request_id": self.request_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "result": self.result,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


# --- the scheduler (ADR 0014, docs/reliability.md M4) -------------------------------------------------


class JobOutcome(models.TextChoices):
    RUNNING = "running", _("运行中")
    OK = "ok", _("成功")
    FAILED = "failed", _("失败")
    ABANDONED = "abandoned", _("中断")


class JobState(models.Model):
    """One row per periodic job: when it is next due, and its lease.

    A scheduler runs a job only after claiming this row with one conditional UPDATE (due, and no
    unexpired lease), so several schedulers never run a job twice for one due time; a crashed
    scheduler's lease runs out and another takes the job over (ADR 0014)."""

    name = models.CharField(_("任务"), max_length=64, unique=True)
    schedule = models.CharField(_("周期"), max_length=64, blank=True)
    due_at = models.DateTimeField(_("本次应运行时间"), help_text=_("正在等待或重试的那一次的应运行时间"))
    next_run_at = models.DateTimeField(_("下次运行时间"), db_index=True)
    lease_owner = models.CharField(_("执行者"), max_length=128, blank=True)
    lease_expires_at = models.DateTimeField(_("租约到期"), null=True, blank=True)
    running_since = models.DateTimeField(_("开始运行"), null=True, blank=True)
    last_started_at = models.DateTimeField(_("最近运行"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("最近结束"), null=True, blank=True)
    last_outcome = models.CharField(_("最近结果"), max_length=16, choices=JobOutcome.choices, blank=True)
    last_success_at = models.DateTimeField(_("最近成功"), null=True, blank=True)
    last_summary = models.CharField(_("最近结果摘要"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("最近失败"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0)

    class Meta:
        verbose_name = _("定时任务状态")
        verbose_name_plural = _("定时任务状态")
        ordering = ["name"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.name

    @property
    def error_headline(self) -> str:
        """The error's first line (the exception), without the traceback."""
        return self.last_error.split("\n", 1)[0]


class JobRun(models.Model):
    """One run of a periodic job: which due time it served, who ran it, how it ended."""

    name = models.CharField(_("任务"), max_length=64)
    due_at = models.DateTimeField(_("应运行时间"))
    started_at = models.DateTimeField(_("开始"), db_index=True)
    finished_at = models.DateTimeField(_("结束"), null=True, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=16, choices=JobOutcome.choices, default=JobOutcome.RUNNING
    )
    summary = models.CharField(_("摘要"), max_length=500, blank=True)
    error = models.TextField(_("错误"), blank=True)
    attempt = models.PositiveIntegerField(_("第几次尝试"), default=1)
    host = models.CharField(_("主机"), max_length=128, blank=True)
    pid = models.PositiveIntegerField(_("进程号"), default=0)
    owner = models.CharField(_("调度器"), max_length=128, blank=True)
    duration_ms = models.PositiveIntegerField(_("用时（毫秒）"), null=True, blank=True)

    class Meta:
        verbose_name = _("定时任务运行记录")
        verbose_name_plural = _("定时任务运行记录")
        ordering = ["-started_at", "-id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["name", "-started_at"], name="core_jobrun_name_started")]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"

    @property
    def error_headline(self) -> str:
        return self.error.split("\n", 1)[0]

    @property
    def duration_display(self) -> str:
        if self.duration_ms is None:
            return "—"
        if self.duration_ms < 1000:
            return _("%(n)s 毫秒") % {"n": self.duration_ms}
        return _("%(n)s 秒") % {"n": f"{self.duration_ms / 1000:.1f}"}


class SchedulerProcess(models.Model):
    """A running ``kechuang scheduler``: it says it is alive every poll, so the page can tell whether
    any scheduler runs at all."""

    owner = models.CharField(_("调度器"), max_length=128, unique=True)
    host = models.CharField(_("主机"), max_length=128)
    pid = models.PositiveIntegerField(_("进程号"))
    started_at = models.DateTimeField(_("启动时间"))
    seen_at = models.DateTimeField(_("最近心跳"), db_index=True)
    stopped_at = models.DateTimeField(_("停止时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调度器进程")
        verbose_name_plural = _("调度器进程")
        ordering = ["-seen_at"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.owner


class WorkerProcess(models.Model):
    """A running ``kechuang worker``: it says it is alive every half minute (a thread beside the task
    loop), so ``/readyz`` and the metrics can tell whether any worker runs at all
    (docs/adr/0021-observability.md)."""

    worker_id = models.CharField(_("任务进程"), max_length=64, unique=True)
    host = models.CharField(_("主机"), max_length=128)
    pid = models.PositiveIntegerField(_("进程号"))
    started_at = models.DateTimeField(_("启动时间"))
    seen_at = models.DateTimeField(_("最近心跳"), db_index=True)
    stopped_at = models.DateTimeField(_("停止时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务进程")
        verbose_name_plural = _("后台任务进程")
        ordering = ["-seen_at"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.worker_id


class CodeCounter(models.Model):
    """The last number a module gave out for a code prefix in a year (QZ-2026-000123; ADR 0019).
    ``scope`` is the module, so two modules may use the same prefix with their own numbers."""

    scope = models.CharField(_("模块"), max_length=40)
    prefix = models.CharField(_("前缀"), max_length=8)
    year = models.PositiveSmallIntegerField(_("年度"))
    last = models.PositiveIntegerField(_("已用到"), default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = _("编号计数器")
        constraints = [
            models.UniqueConstraint(fields=["scope", "prefix", "year"], name="core_codecounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.prefix}-{self.year}: {self.last}"
