from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("instruments", views.InstrumentViewSet, basename="instrument")
router.register("instrument-bookings", views.BookingViewSet, basename="instrument-booking")
router.register("instrument-samples", views.SampleRequestViewSet, basename="instrument-sample")

urlpatterns = router.urls
