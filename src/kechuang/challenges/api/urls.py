"""/api/v1/challenges/…: challenges (榜单), applications, awards and milestones."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("challenges/applications", views.ApplicationViewSet, basename="challenge-application")
router.register("challenges/awards", views.AwardViewSet, basename="challenge-award")
router.register("challenges/milestones", views.MilestoneViewSet, basename="challenge-milestone")
router.register("challenges", views.ChallengeViewSet, basename="challenge")

urlpatterns = router.urls
