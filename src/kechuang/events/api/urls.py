from rest_framework.routers import SimpleRouter

from . import competition_views, views

router = SimpleRouter()
router.register("events/registrations", views.RegistrationViewSet, basename="event-registration")
router.register("events", views.EventViewSet, basename="event")
router.register("competitions/panels", competition_views.PanelViewSet, basename="competition-panel")
router.register(
    "competitions/roadshow/entries", competition_views.RoadshowEntryViewSet, basename="roadshow-entry"
)
router.register(
    "competitions/roadshow/interests", competition_views.InterestViewSet, basename="roadshow-interest"
)
router.register(
    "competitions/roadshow/meetings", competition_views.MeetingViewSet, basename="roadshow-meeting"
)
router.register(
    "competitions/roadshow/outcomes", competition_views.OutcomeViewSet, basename="roadshow-outcome"
)
router.register("competitions/aftercare", competition_views.AftercareViewSet, basename="aftercare")
router.register("competitions", competition_views.CompetitionViewSet, basename="competition")

urlpatterns = router.urls
