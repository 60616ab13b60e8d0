from django.urls import path

from . import competition_views as competitions
from . import roadshow_views as roadshow
from . import views

app_name = "events"

urlpatterns = [
    path("", views.EventListView.as_view(), name="event-list"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("new/", views.EventCreateView.as_view(), name="event-create"),
    path("review/", views.ReviewListView.as_view(), name="review-list"),
    path("manage/", views.ManageListView.as_view(), name="manage-list"),
    path("mine/", views.MyRegistrationsView.as_view(), name="my-registrations"),
    path("competitions/", competitions.CompetitionListView.as_view(), name="competition-list"),
    path("competitions/new/", competitions.CompetitionCreateView.as_view(), name="competition-create"),
    path("competitions/panels/<int:pk>/", competitions.PanelView.as_view(), name="panel"),
    path("competitions/aftercare/<str:code>/", roadshow.AftercareView.as_view(), name="aftercare"),
    path("roadshow/", roadshow.RoadshowView.as_view(), name="roadshow"),
    path("roadshow/<str:action>/", roadshow.RoadshowActionView.as_view(), name="roadshow-action"),
    path("competitions/<str:code>/", competitions.CompetitionDetailView.as_view(), name="competition-detail"),
    path("competitions/<str:code>/enter/", competitions.EntryCreateView.as_view(), name="entry-create"),
    path(
        "competitions/<str:code>/<str:action>/",
        competitions.CompetitionActionView.as_view(),
        name="competition-action",
    ),
    path(
        "registrations/<str:code>/cancel/", views.RegistrationCancelView.as_view(), name="registration-cancel"
    ),
    path("registrations/<str:code>/feedback/", views.FeedbackView.as_view(), name="feedback"),
    path("<str:code>/", views.EventDetailView.as_view(), name="event-detail"),
    path("<str:code>/edit/", views.EventEditView.as_view(), name="event-edit"),
    path("<str:code>/registrations/", views.RegistrationListView.as_view(), name="registration-list"),
    path("<str:code>/checkin/", views.CheckInView.as_view(), name="checkin"),
    path("<str:code>/<str:action>/", views.EventActionView.as_view(), name="event-action"),
]
