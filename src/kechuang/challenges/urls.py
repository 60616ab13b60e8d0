from django.urls import path, register_converter

from . import views


class CodeConverter:
    """Public references: JB-2026-0001, JS-2026-00001, LX-2026-0001, BF-2026-00001 … nothing else."""

    regex = r"[A-Z]{2}-\d{4}-\d{4,6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "ccode")

app_name = "challenges"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("work/", views.WorkView.as_view(), name="work"),
    path("new/", views.ChallengeCreateView.as_view(), name="challenge-create"),
    path("<ccode:code>/", views.ChallengeDetailView.as_view(), name="challenge-detail"),
    path("<ccode:code>/progress/", views.ProgressView.as_view(), name="challenge-progress"),
    path("<ccode:code>/edit/", views.ChallengeUpdateView.as_view(), name="challenge-update"),
    path("<ccode:code>/submit/", views.ChallengeActionView.as_view(step="submit"), name="challenge-submit"),
    path("<ccode:code>/review/", views.ChallengeActionView.as_view(step="review"), name="challenge-review"),
    path(
        "<ccode:code>/withdraw/",
        views.ChallengeActionView.as_view(step="withdraw"),
        name="challenge-withdraw",
    ),
    path("<ccode:code>/close/", views.ChallengeActionView.as_view(step="close"), name="challenge-close"),
    path("<ccode:code>/candidates/", views.CandidatesView.as_view(), name="challenge-candidates"),
    path("<ccode:code>/apply/", views.ApplyView.as_view(), name="application-create"),
    path("<ccode:code>/panel/", views.PanelView.as_view(), name="panel"),
    path("applications/<ccode:code>/", views.ApplicationDetailView.as_view(), name="application-detail"),
    path(
        "applications/<ccode:code>/withdraw/",
        views.ApplicationWithdrawView.as_view(),
        name="application-withdraw",
    ),
    path(
        "applications/<ccode:code>/attach/", views.AttachmentUploadView.as_view(), name="application-attach"
    ),
    path("applications/<ccode:code>/score/", views.ScoreView.as_view(), name="application-score"),
    path("attachments/<uuid:token>/", views.AttachmentDownloadView.as_view(), name="attachment-download"),
    path("awards/<ccode:code>/", views.AwardDetailView.as_view(), name="award-detail"),
    path("awards/<ccode:code>/sign/", views.TaskBookSignView.as_view(), name="award-sign"),
    path(
        "milestones/<ccode:code>/deliver/",
        views.MilestoneActionView.as_view(step="deliver"),
        name="milestone-deliver",
    ),
    path(
        "milestones/<ccode:code>/accept/",
        views.MilestoneActionView.as_view(step="accept"),
        name="milestone-accept",
    ),
    path(
        "milestones/<ccode:code>/request/",
        views.MilestoneActionView.as_view(step="request"),
        name="milestone-request",
    ),
    path("milestones/<ccode:code>/pay/", views.MilestoneActionView.as_view(step="pay"), name="milestone-pay"),
    path(
        "milestones/<ccode:code>/return/",
        views.MilestoneActionView.as_view(step="return"),
        name="milestone-return",
    ),
]
