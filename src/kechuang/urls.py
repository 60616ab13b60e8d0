"""Root URLs. Each app has its namespace; the API lives under /api/v1/."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from kechuang.core import views as core_views
from kechuang.notifications.views import LanguageSetView

urlpatterns = [
    path("", include("kechuang.core.urls")),
    path("accounts/", include("kechuang.accounts.urls")),
    path("directory/", include("kechuang.directory.urls")),
    path("transfer/", include("kechuang.transfer.urls")),
    path("notifications/", include("kechuang.notifications.urls")),
    path("vouchers/", include("kechuang.vouchers.urls")),
    path("challenges/", include("kechuang.challenges.urls")),
    path("service/", include("kechuang.servicedesk.urls")),
    path("spaces/", include("kechuang.spaces.urls")),
    path("instruments/", include("kechuang.instruments.urls")),
    path("investment/", include("kechuang.investment.urls")),
    path("ip/", include("kechuang.ip.urls")),
    path("insights/", include("kechuang.insights.urls")),
    path("events/", include("kechuang.events.urls")),
    path("api/v1/", include("kechuang.api.urls")),
    # The language switch also remembers a signed-in user's language for their notifications (ADR 0015);
    # it answers at Django's own address, which it shadows.
    path("i18n/setlang/", LanguageSetView.as_view(), name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
]

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error

admin.site.site_header = "科创街区平台 · 后台管理"
admin.site.site_title = "科创街区平台"
if settings.DEBUG:  # pragma: no cover
    pass
