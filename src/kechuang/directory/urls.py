from django.urls import path

from kechuang.core.importing import views as imports

from . import views
from .importing import SPEC as DIRECTORY_IMPORT

app_name = "directory"

urlpatterns = [
    path("district/", views.DistrictView.as_view(), name="district"),
    path("organizations/", views.OrganizationListView.as_view(), name="organization-list"),
    path("organizations/new/", views.OrganizationCreateView.as_view(), name="organization-create"),
    path("organizations/<int:pk>/", views.OrganizationDetailView.as_view(), name="organization-detail"),
    path("organizations/<int:pk>/edit/", views.OrganizationUpdateView.as_view(), name="organization-update"),
    path("people/", views.PersonListView.as_view(), name="person-list"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("fields/", views.FieldTreeView.as_view(), name="field-tree"),
    path("import/", imports.ImportStartView.as_view(spec=DIRECTORY_IMPORT), name="import-start"),
    path(
        "import/<str:token>/", imports.ImportReviewView.as_view(spec=DIRECTORY_IMPORT), name="import-review"
    ),
    path(
        "import/<str:token>/errors.xlsx",
        imports.ImportReportView.as_view(spec=DIRECTORY_IMPORT),
        name="import-errors",
    ),
    path(
        "import/template/<str:kind>.xlsx",
        imports.ImportTemplateView.as_view(spec=DIRECTORY_IMPORT),
        name="import-template",
    ),
]
