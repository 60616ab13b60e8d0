from django.urls import path

from kechuang.core.importing import views as imports

from . import views
from .importing import SPEC as UNIT_IMPORT

app_name = "spaces"

urlpatterns = [
    path("", views.UnitListView.as_view(), name="unit-list"),
    path("map/", views.VacancyMapView.as_view(), name="vacancy-map"),
    path("units/new/", views.UnitCreateView.as_view(), name="unit-create"),
    path("units/<str:code>/", views.UnitDetailView.as_view(), name="unit-detail"),
    path("units/<str:code>/edit/", views.UnitEditView.as_view(), name="unit-edit"),
    path("units/<str:code>/reserve/", views.UnitReserveView.as_view(), name="unit-reserve"),
    path("reservations/<str:code>/lease/", views.ReservationLeaseView.as_view(), name="reservation-lease"),
    path("reservations/<str:code>/cancel/", views.ReservationCancelView.as_view(), name="reservation-cancel"),
    path("leases/<str:code>/release/", views.LeaseReleaseView.as_view(), name="lease-release"),
    path("requests/", views.RequestListView.as_view(), name="request-list"),
    path("requests/new/", views.RequestCreateView.as_view(), name="request-create"),
    path("requests/<str:code>/", views.RequestDetailView.as_view(), name="request-detail"),
    path("requests/<str:code>/cancel/", views.RequestCancelView.as_view(), name="request-cancel"),
    path("requests/<str:code>/viewings/", views.ViewingBookView.as_view(), name="viewing-book"),
    path("viewings/", views.ViewingListView.as_view(), name="viewing-list"),
    path("viewings/<str:code>/<str:action>/", views.ViewingActionView.as_view(), name="viewing-action"),
    path("import/", imports.ImportStartView.as_view(spec=UNIT_IMPORT), name="import-start"),
    path("import/template/", imports.ImportTemplateView.as_view(spec=UNIT_IMPORT), name="import-template"),
    path("import/<str:token>/", imports.ImportReviewView.as_view(spec=UNIT_IMPORT), name="import-review"),
    path(
        "import/<str:token>/report/", imports.ImportReportView.as_view(spec=UNIT_IMPORT), name="import-report"
    ),
]
