"""/api/v1/vouchers/…: schemes, providers and their services, applications, vouchers, orders,
settlement claims and batches."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("vouchers/schemes", views.SchemeViewSet, basename="voucher-scheme")
router.register("vouchers/providers", views.ProviderViewSet, basename="voucher-provider")
router.register("vouchers/services", views.ServiceViewSet, basename="voucher-service")
router.register("vouchers/applications", views.ApplicationViewSet, basename="voucher-application")
router.register("vouchers/orders", views.OrderViewSet, basename="voucher-order")
router.register("vouchers/claims", views.ClaimViewSet, basename="voucher-claim")
router.register("vouchers/batches", views.BatchViewSet, basename="voucher-batch")
router.register("vouchers", views.VoucherViewSet, basename="voucher")

urlpatterns = router.urls
