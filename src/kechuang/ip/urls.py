from django.urls import path

from kechuang.core.importing import views as imports

from . import views
from .importing import SPEC as ASSET_IMPORT

app_name = "ip"

urlpatterns = [
    path("", views.AssetListView.as_view(), name="asset-list"),
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
    path("overview/", views.OverviewView.as_view(), name="overview"),
    path("licences/", views.LicenceListView.as_view(), name="licence-list"),
    path("licences/<str:code>/take-up/", views.OpenLicenceTakeUpView.as_view(), name="licence-take-up"),
    path("licences/<str:code>/withdraw/", views.OpenLicenceWithdrawView.as_view(), name="licence-withdraw"),
    path("transactions/", views.TransactionListView.as_view(), name="transaction-list"),
    path(
        "transactions/<str:code>/contract/", views.ContractRegisterView.as_view(), name="transaction-contract"
    ),
    path("service-orders/", views.ServiceOrdersView.as_view(), name="service-orders"),
    path("reports/<uuid:token>/", views.ServiceReportDownloadView.as_view(), name="report-download"),
    path("demand-patents/", views.DemandPatentsView.as_view(), name="demand-patents"),
    path("import/", imports.ImportStartView.as_view(spec=ASSET_IMPORT), name="import-start"),
    path("import/template/", imports.ImportTemplateView.as_view(spec=ASSET_IMPORT), name="import-template"),
    path("import/<str:token>/", imports.ImportReviewView.as_view(spec=ASSET_IMPORT), name="import-review"),
    path(
        "import/<str:token>/report/",
        imports.ImportReportView.as_view(spec=ASSET_IMPORT),
        name="import-report",
    ),
    path("assets/<str:number>/", views.AssetDetailView.as_view(), name="asset-detail"),
    path("assets/<str:number>/licence/", views.OpenLicencePublishView.as_view(), name="asset-licence"),
    path("assets/<str:number>/transaction/", views.TransactionRecordView.as_view(), name="asset-transaction"),
    path("assets/<str:number>/edit/", views.AssetEditView.as_view(), name="asset-edit"),
    path("assets/<str:number>/status/", views.AssetStatusView.as_view(), name="asset-status"),
    path("assets/<str:number>/achievement/", views.AchievementLinkView.as_view(), name="asset-achievement"),
    path("assets/<str:number>/annuity/", views.AnnuityPayView.as_view(), name="asset-annuity"),
]
