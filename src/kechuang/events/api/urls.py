from rest_framework.routers import SimpleRouter

from . import competition_views, views

router = SimpleRouter()
router.register("events/registrations", views.RegistrationViewSet, basename="event-registration")
router.register("events", views.EventViewSet, basename="event")
router.register("competitions/panels", competition_views.PanelViewSet, basename="competition-panel")
router.register("competitions", competition_views.CompetitionViewSet, basename="competition")

urlpatterns = router.urls
