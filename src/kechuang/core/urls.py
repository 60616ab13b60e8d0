from django.urls import path

from . import exporting, metrics, readiness, views

app_name = "core"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", readiness.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("operations/jobs/", views.SchedulerStatusView.as_view(), name="scheduler"),
    path("exports/<str:token>/", exporting.ExportView.as_view(), name="export"),
    path("exports/<str:token>/download/", exporting.ExportDownloadView.as_view(), name="export-download"),
]
