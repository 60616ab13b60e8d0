from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("instruments", views.InstrumentViewSet, basename="instrument")
router.register("instrument-bookings", views.BookingViewSet, basename="instrument-booking")

urlpatterns = router.urls
