from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("ip-assets", views.AssetViewSet, basename="ip-asset")
router.register("ip-licences", views.LicenceViewSet, basename="ip-licence")
router.register("ip-transactions", views.TransactionViewSet, basename="ip-transaction")

urlpatterns = router.urls
