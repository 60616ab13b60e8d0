from django.urls import path

from kechuang.core.importing import views as imports

from . import views
from .importing import SPEC as INSTRUMENT_IMPORT

app_name = "instruments"

urlpatterns = [
    path("", views.InstrumentListView.as_view(), name="instrument-list"),
    path("bookings/", views.BookingListView.as_view(), name="booking-list"),
    path("bookings/<str:code>/rate/", views.BookingRateView.as_view(), name="booking-rate"),
    path("bookings/<str:code>/<str:action>/", views.BookingActionView.as_view(), name="booking-action"),
    path("samples/<str:code>/report/", views.SampleReportView.as_view(), name="sample-report"),
    path("samples/<str:code>/<str:action>/", views.SampleActionView.as_view(), name="sample-action"),
    path("desk/", views.OwnerQueueView.as_view(), name="owner-queue"),
    path("invoices/", views.InvoiceListView.as_view(), name="invoice-list"),
    path("invoices/new/<str:kind>/<str:code>/", views.InvoiceCreateView.as_view(), name="invoice-create"),
    path("invoices/<str:code>/paid/", views.InvoicePaidView.as_view(), name="invoice-paid"),
    path("overview/", views.OverviewView.as_view(), name="overview"),
    path("report/", views.SharingReportView.as_view(), name="sharing-report"),
    path("import/", imports.ImportStartView.as_view(spec=INSTRUMENT_IMPORT), name="import-start"),
    path(
        "import/template/", imports.ImportTemplateView.as_view(spec=INSTRUMENT_IMPORT), name="import-template"
    ),
    path(
        "import/<str:token>/", imports.ImportReviewView.as_view(spec=INSTRUMENT_IMPORT), name="import-review"
    ),
    path(
        "import/<str:token>/report/",
        imports.ImportReportView.as_view(spec=INSTRUMENT_IMPORT),
        name="import-report",
    ),
    path("new/", views.InstrumentCreateView.as_view(), name="instrument-create"),
    path("photos/<int:pk>/", views.PhotoView.as_view(), name="photo"),
    path("<str:code>/", views.InstrumentDetailView.as_view(), name="instrument-detail"),
    path("<str:code>/edit/", views.InstrumentUpdateView.as_view(), name="instrument-update"),
    path("<str:code>/qualifications/", views.QualificationGrantView.as_view(), name="qualification-grant"),
    path("<str:code>/maintenance/", views.MaintenanceBlockView.as_view(), name="maintenance-block"),
    path("<str:code>/status/", views.InstrumentStatusView.as_view(), name="instrument-status"),
    path("<str:code>/photos/", views.PhotoAddView.as_view(), name="photo-add"),
    path("<str:code>/vouchers/", views.EnableVouchersView.as_view(), name="enable-vouchers"),
    path("<str:code>/book/", views.BookingCreateView.as_view(), name="booking-create"),
    path("<str:code>/samples/", views.SampleRequestCreateView.as_view(), name="sample-create"),
]
