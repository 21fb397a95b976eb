from django.urls import path

from appointments import views

urlpatterns = [
    path("doctors/me/availability", views.MyAvailabilityView.as_view(), name="doctor-me-availability"),
    path("doctors/me/time-off", views.MyTimeOffView.as_view(), name="doctor-me-time-off"),
    path("doctors/me/time-off/<uuid:pk>", views.MyTimeOffDetailView.as_view(), name="doctor-me-time-off-detail"),
    path("doctors/<uuid:pk>/availability", views.DoctorAvailabilityView.as_view(), name="doctor-availability"),
    path("appointments", views.AppointmentListView.as_view(), name="appointment-list"),
    path("appointments/<uuid:pk>", views.AppointmentDetailView.as_view(), name="appointment-detail"),
    path("appointments/<uuid:pk>/cancel", views.AppointmentCancelView.as_view(), name="appointment-cancel"),
    path("appointments/<uuid:pk>/complete", views.AppointmentCompleteView.as_view(), name="appointment-complete"),
    path("appointments/<uuid:pk>/no-show", views.AppointmentNoShowView.as_view(), name="appointment-no-show"),
    path("appointments/<uuid:pk>/ics", views.AppointmentIcsView.as_view(), name="appointment-ics"),
    path("calendar/appointments", views.CalendarAppointmentsView.as_view(), name="calendar-appointments"),
    path("calendar/feed-url", views.CalendarFeedUrlView.as_view(), name="calendar-feed-url"),
    path("calendar/feed-url/rotate", views.CalendarFeedRotateView.as_view(), name="calendar-feed-url-rotate"),
    path("calendar/feed/<str:token>.ics", views.CalendarFeedView.as_view(), name="calendar-feed"),
]
