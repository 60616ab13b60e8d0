from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("people", views.PersonViewSet, basename="person")
router.register("fields", views.TechnologyFieldViewSet, basename="field")
router.register("geography/blocks", views.BlockViewSet, basename="block")
router.register("geography/parks", views.ParkViewSet, basename="park")
router.register("geography/lines", views.LineViewSet, basename="line")
router.register("geography/buildings", views.BuildingViewSet, basename="building")

urlpatterns = router.urls
