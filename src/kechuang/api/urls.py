"""/api/v1/: each app contributes its routes; the schema and offline docs are served here.

The docs page is Swagger UI from the sidecar package, in its "split" form: the start-up script is a
separate same-origin file, so the page works under ``script-src 'self'`` (docs/reliability.md D2). ReDoc is
not offered: drf-spectacular's ReDoc page loads Google Fonts, an external origin.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("kechuang.directory.api.urls")),
    path("", include("kechuang.transfer.api.urls")),
    path("", include("kechuang.vouchers.api.urls")),
    path("", include("kechuang.challenges.api.urls")),
    path("", include("kechuang.servicedesk.api.urls")),
    path("", include("kechuang.spaces.api.urls")),
    path("", include("kechuang.instruments.api.urls")),
    path("", include("kechuang.investment.api.urls")),
    path("", include("kechuang.ip.api.urls")),
    path("", include("kechuang.insights.api.urls")),
    path("", include("kechuang.events.api.urls")),
]
