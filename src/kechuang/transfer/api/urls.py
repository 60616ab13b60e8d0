from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("achievements", views.AchievementViewSet, basename="achievement")
router.register("demands", views.DemandViewSet, basename="demand")
router.register("interests", views.InterestViewSet, basename="interest")
router.register("deals", views.DealViewSet, basename="deal")
router.register("contracts", views.ContractViewSet, basename="contract")

urlpatterns = [
    path("search/", views.SearchView.as_view(), name="transfer-search"),
    *router.urls,
]
