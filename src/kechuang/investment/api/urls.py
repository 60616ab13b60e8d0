from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("leads", views.LeadViewSet, basename="investment-lead")
router.register("key-projects", views.KeyProjectViewSet, basename="key-project")

urlpatterns = router.urls
