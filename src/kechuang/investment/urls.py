from django.urls import path

from . import views

app_name = "investment"

urlpatterns = [
    path("", views.LeadBoardView.as_view(), name="lead-board"),
    path("leads/new/", views.LeadCreateView.as_view(), name="lead-create"),
    path("leads/<str:code>/", views.LeadDetailView.as_view(), name="lead-detail"),
    path("leads/<str:code>/edit/", views.LeadEditView.as_view(), name="lead-edit"),
    path("leads/<str:code>/<str:action>/", views.lead_action, name="lead-action"),
    path("documents/<uuid:token>/", views.DocumentDownloadView.as_view(), name="document-download"),
    path("pipeline/", views.LeaderView.as_view(), name="leader-view"),
    path("pipeline/export/", views.LeadExportView.as_view(), name="lead-export"),
    path("pipeline/brief/", views.WeeklyBriefView.as_view(), name="weekly-brief"),
    path("projects/", views.ProjectListView.as_view(), name="project-list"),
    path("projects/new/", views.ProjectCreateView.as_view(), name="project-create"),
    path("projects/<str:code>/", views.ProjectDetailView.as_view(), name="project-detail"),
    path(
        "projects/<str:code>/milestones/<int:pk>/edit/",
        views.MilestoneEditView.as_view(),
        name="milestone-edit",
    ),
    path("projects/<str:code>/<str:action>/", views.project_action, name="project-action"),
    path("retention/", views.RetentionListView.as_view(), name="retention-list"),
    path("retention/<str:code>/", views.RetentionDetailView.as_view(), name="retention-detail"),
    path("retention/<str:code>/<str:action>/", views.retention_action, name="retention-action"),
]
