from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="notification-list"),
    path("<int:pk>/open/", views.NotificationOpenView.as_view(), name="notification-open"),
    path("read-all/", views.NotificationReadAllView.as_view(), name="notification-read-all"),
]
