from django.urls import path, register_converter

from . import forms as f
from . import views


class CodeConverter:
    """Public references: QZ-2026-000123, PC-2026-01, FW-2026-0001 … nothing else reaches a view."""

    regex = r"[A-Z]{2}-\d{4}-\d{2,6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class AccountConverter(CodeConverter):
    regex = r"vouchers:[A-Za-z0-9:\-]{1,90}"


register_converter(CodeConverter, "code")
register_converter(AccountConverter, "account")

app_name = "vouchers"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("queue/", views.ReviewQueueView.as_view(), name="review-queue"),
    path("reports/", views.ReportView.as_view(), name="report"),
    path("ledger/<account:account>/", views.AccountDetailView.as_view(), name="account-detail"),
    # schemes
    path("schemes/", views.SchemeListView.as_view(), name="scheme-list"),
    path("schemes/new/", views.SchemeCreateView.as_view(), name="scheme-create"),
    path("schemes/<code:code>/", views.SchemeDetailView.as_view(), name="scheme-detail"),
    path("schemes/<code:code>/open/", views.SchemeOpenView.as_view(), name="scheme-open"),
    path("schemes/<code:code>/close/", views.SchemeCloseView.as_view(), name="scheme-close"),
    path("schemes/<code:code>/apply/", views.ApplicationCreateView.as_view(), name="application-create"),
    # providers and the catalogue
    path("services/", views.ServiceListView.as_view(), name="service-list"),
    path("services/new/", views.ServiceFormView.as_view(), name="service-create"),
    path("services/<code:code>/edit/", views.ServiceFormView.as_view(), name="service-update"),
    path("providers/", views.ProviderListView.as_view(), name="provider-list"),
    path("providers/register/", views.ProviderRegisterView.as_view(), name="provider-register"),
    path("providers/<code:code>/", views.ProviderDetailView.as_view(), name="provider-detail"),
    path("providers/<code:code>/review/", views.ProviderReviewView.as_view(), name="provider-review"),
    # applications and vouchers
    path("applications/", views.ApplicationListView.as_view(), name="application-list"),
    path("applications/<code:code>/", views.ApplicationDetailView.as_view(), name="application-detail"),
    path(
        "applications/<code:code>/review/", views.ApplicationReviewView.as_view(), name="application-review"
    ),
    path(
        "applications/<code:code>/decide/", views.ApplicationDecideView.as_view(), name="application-decide"
    ),
    path(
        "applications/<code:code>/withdraw/",
        views.ApplicationWithdrawView.as_view(),
        name="application-withdraw",
    ),
    path("mine/", views.VoucherListView.as_view(), name="voucher-list"),
    path("v/<code:code>/", views.VoucherDetailView.as_view(), name="voucher-detail"),
    path("v/<code:code>/revoke/", views.VoucherRevokeView.as_view(), name="voucher-revoke"),
    path("v/<code:code>/order/", views.OrderCreateView.as_view(), name="order-create"),
    # orders
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/<code:code>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<code:code>/accept/", views.order_action("accept"), name="order-accept"),
    path("orders/<code:code>/decline/", views.order_action("decline", f.ReasonForm), name="order-decline"),
    path("orders/<code:code>/deliver/", views.order_action("deliver", f.NoteForm), name="order-deliver"),
    path("orders/<code:code>/confirm/", views.order_action("confirm"), name="order-confirm"),
    path("orders/<code:code>/cancel/", views.order_action("cancel", f.ReasonForm), name="order-cancel"),
    path("orders/<code:code>/rate/", views.order_action("rate", f.RatingForm), name="order-rate"),
    path("orders/<code:code>/claim/", views.ClaimCreateView.as_view(), name="claim-create"),
    # settlement
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("claims/<code:code>/", views.ClaimDetailView.as_view(), name="claim-detail"),
    path("claims/<code:code>/review/", views.ClaimReviewView.as_view(), name="claim-review"),
    path("claims/<code:code>/resubmit/", views.ClaimResubmitView.as_view(), name="claim-resubmit"),
    path("claims/<code:code>/invoice/", views.ClaimInvoiceView.as_view(), name="claim-invoice"),
    path("batches/", views.BatchListView.as_view(), name="batch-list"),
    path("batches/new/", views.BatchCreateView.as_view(), name="batch-create"),
    path("batches/<code:code>/", views.BatchDetailView.as_view(), name="batch-detail"),
    path("batches/<code:code>/approve/", views.BatchActionView.as_view(step="approve"), name="batch-approve"),
    path("batches/<code:code>/return/", views.BatchActionView.as_view(step="return"), name="batch-return"),
    path("batches/<code:code>/pay/", views.BatchActionView.as_view(step="pay"), name="batch-pay"),
    path("batches/<code:code>/export.xlsx", views.BatchExportView.as_view(), name="batch-export"),
]
