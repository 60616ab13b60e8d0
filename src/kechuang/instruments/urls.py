from django.urls import path

from . import views

app_name = "instruments"

urlpatterns = [
    path("", views.InstrumentListView.as_view(), name="instrument-list"),
    path("bookings/", views.BookingListView.as_view(), name="booking-list"),
    path("bookings/<str:code>/<str:action>/", views.BookingActionView.as_view(), name="booking-action"),
    path("samples/<str:code>/report/", views.SampleReportView.as_view(), name="sample-report"),
    path("samples/<str:code>/<str:action>/", views.SampleActionView.as_view(), name="sample-action"),
    path("desk/", views.OwnerQueueView.as_view(), name="owner-queue"),
    path("overview/", views.OverviewView.as_view(), name="overview"),
    path("<str:code>/", views.InstrumentDetailView.as_view(), name="instrument-detail"),
    path("<str:code>/book/", views.BookingCreateView.as_view(), name="booking-create"),
    path("<str:code>/samples/", views.SampleRequestCreateView.as_view(), name="sample-create"),
]
