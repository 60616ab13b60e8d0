from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("space-units", views.SpaceUnitViewSet, basename="space-unit")
router.register("space-requests", views.SpaceRequestViewSet, basename="space-request")

urlpatterns = router.urls
