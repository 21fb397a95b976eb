from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.TodayView.as_view(), name="today"),
    path("today/live/", views.TodayPartialView.as_view(), name="today-live"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("language/", views.LocaleSwitchView.as_view(), name="language"),
    path("schedule/", views.ScheduleView.as_view(), name="schedule"),
    path("schedule/time-off/<uuid:pk>/delete/", views.TimeOffDeleteView.as_view(), name="time-off-delete"),
    path("schedule/visit-types/<uuid:pk>/", views.VisitTypeEditView.as_view(), name="visit-type"),
    path(
        "schedule/visit-types/<uuid:pk>/deactivate/",
        views.VisitTypeDeactivateView.as_view(),
        name="visit-type-deactivate",
    ),
    path("appointments/", views.AppointmentListView.as_view(), name="appointments"),
    path("appointments/<uuid:pk>/", views.AppointmentDetailView.as_view(), name="appointment-detail"),
    path("appointments/<uuid:pk>/receipt/", views.ReceiptView.as_view(), name="receipt"),
    path("appointments/<uuid:pk>/<slug:action>/", views.AppointmentActionView.as_view(), name="appointment-action"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("profile/photo/", views.ProfilePhotoView.as_view(), name="profile-photo"),
    path("profile/photo/remove/", views.ProfilePhotoRemoveView.as_view(), name="profile-photo-remove"),
    path("profile/preview/", views.ProfilePreviewView.as_view(), name="profile-preview"),
    path("profile/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("insights/", views.InsightsView.as_view(), name="insights"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/read-all/", views.NotificationReadView.as_view(), name="notifications-read-all"),
    path("notifications/<uuid:pk>/read/", views.NotificationReadView.as_view(), name="notification-read"),
    path("messages/", views.ThreadListView.as_view(), name="messages"),
    path("messages/new/", views.ThreadOpenView.as_view(), name="thread-open"),
    path("messages/<uuid:pk>/", views.ThreadView.as_view(), name="thread"),
    path("messages/<uuid:pk>/attachments/<uuid:message_id>/", views.AttachmentView.as_view(), name="attachment"),
]
