from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("operations/jobs/", views.SchedulerStatusView.as_view(), name="scheduler"),
]
