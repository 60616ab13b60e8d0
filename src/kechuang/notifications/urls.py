from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="notification-list"),
    path("<int:pk>/open/", views.NotificationOpenView.as_view(), name="notification-open"),
    path("read-all/", views.NotificationReadAllView.as_view(), name="notification-read-all"),
    path("settings/", views.NotificationSettingsView.as_view(), name="settings"),
    path("webhooks/", views.WebhookTargetListView.as_view(), name="webhook-list"),
    path("webhooks/new/", views.WebhookTargetFormView.as_view(), name="webhook-create"),
    path("webhooks/<int:pk>/edit/", views.WebhookTargetFormView.as_view(), name="webhook-update"),
    path("webhooks/<int:pk>/test/", views.WebhookTargetTestView.as_view(), name="webhook-test"),
]
