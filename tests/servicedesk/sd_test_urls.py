"""The project's URLs plus the service-request API under /api/v1/ (used only while /api/v1/ does not
include kechuang.servicedesk.api.urls)."""

from django.urls import include, path

from kechuang.urls import urlpatterns as project_patterns

urlpatterns = [path("api/v1/", include("kechuang.servicedesk.api.urls")), *project_patterns]
