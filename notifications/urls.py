from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/unread-count", views.NotificationUnreadCountView.as_view(), name="notification-unread-count"),
    path("notifications/read-all", views.NotificationReadAllView.as_view(), name="notification-read-all"),
    path("notifications/test", views.NotificationTestView.as_view(), name="notification-test"),
    path("notifications/<uuid:pk>", views.NotificationDetailView.as_view(), name="notification-detail"),
    path("notifications/<uuid:pk>/read", views.NotificationReadView.as_view(), name="notification-read"),
    path(
        "users/me/notification-preferences",
        views.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path("devices", views.DeviceRegisterView.as_view(), name="device-register"),
    path("devices/<uuid:pk>", views.DeviceDetailView.as_view(), name="device-detail"),
]
