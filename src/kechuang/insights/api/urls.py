from django.urls import path

from . import views

urlpatterns = [
    path("insights/kpis/", views.KpiListAPIView.as_view(), name="insights-kpis"),
]
