from django.urls import path

from . import views

app_name = "servicedesk"

urlpatterns = [
    path("", views.RequestListView.as_view(), name="request-list"),
    path("requests/new/", views.RequestCreateView.as_view(), name="request-create"),
    path("requests/<str:code>/", views.RequestDetailView.as_view(), name="request-detail"),
    path("requests/<str:code>/respond/", views.RequestRespondView.as_view(), name="request-respond"),
    path("requests/<str:code>/message/", views.RequestMessageView.as_view(), name="request-message"),
    path("requests/<str:code>/hand-over/", views.RequestHandOverView.as_view(), name="request-hand-over"),
    path("requests/<str:code>/resolve/", views.RequestResolveView.as_view(), name="request-resolve"),
    path("requests/<str:code>/close/", views.RequestCloseView.as_view(), name="request-close"),
    path("requests/<str:code>/reopen/", views.RequestReopenView.as_view(), name="request-reopen"),
    path("requests/<str:code>/withdraw/", views.RequestWithdrawView.as_view(), name="request-withdraw"),
    path("requests/<str:code>/reassign/", views.RequestReassignView.as_view(), name="request-reassign"),
    path("requests/<str:code>/attach/", views.RequestAttachView.as_view(), name="request-attach"),
    path("attachments/<uuid:token>/", views.AttachmentDownloadView.as_view(), name="attachment-download"),
    path("enterprises/", views.EnterpriseListView.as_view(), name="enterprise-list"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise-detail"),
    path("enterprises/<int:pk>/assign/", views.AssignmentSetView.as_view(), name="assignment-set"),
    path("enterprises/<int:pk>/plan/", views.PlanUpdateView.as_view(), name="plan-update"),
    path("enterprises/<int:pk>/plan/items/", views.PlanItemAddView.as_view(), name="plan-item-add"),
    path("enterprises/<int:pk>/visits/new/", views.VisitCreateView.as_view(), name="visit-create"),
    path("plan-items/<int:pk>/status/", views.PlanItemStatusView.as_view(), name="plan-item-status"),
    path("visits/", views.VisitListView.as_view(), name="visit-list"),
    path("visits/<str:code>/", views.VisitDetailView.as_view(), name="visit-detail"),
    path("visits/<str:code>/record/", views.VisitRecordView.as_view(), name="visit-record"),
    path("visits/<str:code>/cancel/", views.VisitCancelView.as_view(), name="visit-cancel"),
    path("workload/", views.WorkloadView.as_view(), name="workload"),
    path("workload/apply/", views.ApplySuggestionsView.as_view(), name="workload-apply"),
    path("figures/", views.FiguresView.as_view(), name="figures"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("calendar/load/", views.CalendarLoadView.as_view(), name="calendar-load"),
    path("calendar/years/", views.CalendarYearConfirmView.as_view(), name="calendar-year-confirm"),
    path("calendar/<int:pk>/delete/", views.CalendarDayDeleteView.as_view(), name="calendar-day-delete"),
    path("policies/", views.SlaPolicyUpdateView.as_view(), name="sla-policy-update"),
    path("preferences/", views.PreferenceView.as_view(), name="preferences"),
]
