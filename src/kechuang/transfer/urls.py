from django.urls import path

from . import views

app_name = "transfer"

urlpatterns = [
    path("achievements/", views.AchievementListView.as_view(), name="achievement-list"),
    path("achievements/export.csv", views.AchievementExportView.as_view(), name="achievement-export"),
    path("achievements/new/", views.AchievementCreateView.as_view(), name="achievement-create"),
    path("achievements/<str:code>/", views.AchievementDetailView.as_view(), name="achievement-detail"),
    path("achievements/<str:code>/edit/", views.AchievementUpdateView.as_view(), name="achievement-update"),
    path(
        "achievements/<str:code>/transition/",
        views.AchievementTransitionView.as_view(),
        name="achievement-transition",
    ),
    path("achievements/<str:code>/review/", views.AchievementReviewView.as_view(), name="achievement-review"),
    path(
        "achievements/<str:code>/attachments/",
        views.AchievementAttachmentUploadView.as_view(),
        name="achievement-attach",
    ),
    path(
        "achievements/<str:code>/interest/",
        views.AchievementInterestView.as_view(),
        name="achievement-interest",
    ),
    path("demands/", views.DemandListView.as_view(), name="demand-list"),
    path("demands/export.csv", views.DemandExportView.as_view(), name="demand-export"),
    path("demands/new/", views.DemandCreateView.as_view(), name="demand-create"),
    path("demands/<str:code>/", views.DemandDetailView.as_view(), name="demand-detail"),
    path("demands/<str:code>/matches/", views.DemandMatchesView.as_view(), name="demand-matches"),
    path("demands/<str:code>/edit/", views.DemandUpdateView.as_view(), name="demand-update"),
    path("demands/<str:code>/transition/", views.DemandTransitionView.as_view(), name="demand-transition"),
    path("demands/<str:code>/review/", views.DemandReviewView.as_view(), name="demand-review"),
    path("demands/<str:code>/attachments/", views.DemandAttachmentUploadView.as_view(), name="demand-attach"),
    path("demands/<str:code>/interest/", views.DemandInterestView.as_view(), name="demand-interest"),
    path("attachments/<uuid:token>/", views.AttachmentDownloadView.as_view(), name="attachment-download"),
    path("attachments/<uuid:token>/delete/", views.AttachmentDeleteView.as_view(), name="attachment-delete"),
    path("mine/", views.MyListingsView.as_view(), name="my-listings"),
    path("review/", views.ReviewQueueView.as_view(), name="review-queue"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("matching/", views.MatchingBoardView.as_view(), name="matching-board"),
    path("interests/", views.InterestInboxView.as_view(), name="interest-inbox"),
    path("interests/<str:code>/respond/", views.InterestRespondView.as_view(), name="interest-respond"),
    path("interests/<str:code>/withdraw/", views.InterestWithdrawView.as_view(), name="interest-withdraw"),
    path("deals/", views.DealBoardView.as_view(), name="deal-board"),
    path("deals/new/", views.DealCreateView.as_view(), name="deal-create"),
    path("deals/<str:code>/", views.DealDetailView.as_view(), name="deal-detail"),
    path("deals/<str:code>/advance/", views.DealAdvanceView.as_view(), name="deal-advance"),
    path("deals/<str:code>/notes/", views.DealNoteView.as_view(), name="deal-note"),
    path("deals/<str:code>/update/", views.DealUpdateView.as_view(), name="deal-update"),
    path("contracts/", views.ContractListView.as_view(), name="contract-list"),
    path("contracts/new/", views.ContractCreateView.as_view(), name="contract-create"),
]
