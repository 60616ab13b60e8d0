"""The shape every expert panel shares (ADR 0019, ADR 0025): the challenges' review panels (揭榜挂帅) and
the competitions' round panels (创新创业大赛) are both a set of weighted criteria with a status, and each
judge's sheet is a 0–100 score per criterion with the weighted total ×100 (``core.scoring`` checks and
adds them up). These abstract models hold those columns once; each module keeps what is its own (what
is judged, who the judges are, the comment's wording, who built the panel).

The columns keep the names, labels and defaults the two modules had, so moving them here changed no
table (``makemigrations --check`` shows nothing for either app). The score range CHECK is named per app
(``<app>_score_range``), as it was.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PanelStatus(models.TextChoices):
    OPEN = "open", _("评审中")
    CLOSED = "closed", _("评审结束")


class ScoringPanel(models.Model):
    """An expert panel: weighted criteria (a list of name, code and weight; weights sum to 100) and
    whether it still scores. Blind: while open, a judge sees only their own sheets."""

    criteria = models.JSONField(_("评审指标"), default=list)
    status = models.CharField(_("状态"), max_length=8, choices=PanelStatus.choices, default=PanelStatus.OPEN)
    created_at = models.DateTimeField(_("组建时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.status == PanelStatus.OPEN


class ScoreSheet(models.Model):
    """One judge's sheet for one thing judged: a 0–100 integer per criterion code and the weighted total
    ×100 (an integer, at most 10000)."""

    # The names of the subclass's two foreign keys: what is judged and by whom (for ``__str__``).
    judged_field = ""
    judge_field = ""

    values = models.JSONField(_("各项得分"), default=dict)
    total_x100 = models.PositiveIntegerField(_("加权总分（×100）"))
    submitted_at = models.DateTimeField(_("评分时间"), default=timezone.now)

    class Meta:
        abstract = True
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints = [
            models.CheckConstraint(condition=Q(total_x100__lte=10000), name="%(app_label)s_score_range"),
        ]

    def __str__(self) -> str:
        judged = getattr(self, f"{self.judged_field}_id", None)
        judge = getattr(self, f"{self.judge_field}_id", None)
        return f"{judged}/{judge}: {self.total_x100 / 100:.2f}"

    @property
    def total(self) -> float:
        return self.total_x100 / 100
