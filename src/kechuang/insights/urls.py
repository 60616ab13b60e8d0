from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("", views.LeaderDashboardView.as_view(), name="dashboard"),
    path("operator/", views.OperatorDashboardView.as_view(), name="operator"),
    path("briefing/", views.BriefingView.as_view(), name="briefing"),
    path("export/", views.KpiSheetExportView.as_view(), name="kpi-export"),
    path("kpi/<str:code>/", views.KpiDetailView.as_view(), name="kpi-detail"),
    path("kpi/<str:code>/target/", views.KpiTargetEditView.as_view(), name="kpi-target"),
    path("kpi/<str:code>/export/", views.KpiRecordsExportView.as_view(), name="kpi-records-export"),
]
