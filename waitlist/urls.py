from django.urls import path

from waitlist import views

urlpatterns = [
    path("waitlist", views.WaitlistListView.as_view(), name="waitlist-list"),
    path("waitlist/<uuid:pk>", views.WaitlistDetailView.as_view(), name="waitlist-detail"),
    path("waitlist/<uuid:pk>/accept", views.WaitlistAcceptView.as_view(), name="waitlist-accept"),
    path("waitlist/<uuid:pk>/decline", views.WaitlistDeclineView.as_view(), name="waitlist-decline"),
]
