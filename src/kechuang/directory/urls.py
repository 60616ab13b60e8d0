from django.urls import path

from . import views

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
    path("import/", views.ImportStartView.as_view(), name="import-start"),
    path("import/<str:token>/", views.ImportReviewView.as_view(), name="import-review"),
    path("import/<str:token>/errors.xlsx", views.ImportErrorReportView.as_view(), name="import-errors"),
    path("import/template/<str:kind>.xlsx", views.ImportTemplateView.as_view(), name="import-template"),
]
