from django.urls import path

from doctors import views

urlpatterns = [
    path("specialties", views.SpecialtyListView.as_view(), name="specialty-list"),
    path("doctors", views.DoctorListView.as_view(), name="doctor-list"),
    path("doctors/me/profile", views.DoctorMeProfileView.as_view(), name="doctor-me-profile"),
    path("doctors/me/photo", views.DoctorMePhotoView.as_view(), name="doctor-me-photo"),
    path("doctors/me/visit-types", views.DoctorMeVisitTypeListView.as_view(), name="doctor-me-visit-types"),
    path(
        "doctors/me/visit-types/<uuid:pk>",
        views.DoctorMeVisitTypeDetailView.as_view(),
        name="doctor-me-visit-type",
    ),
    path("doctors/me/reviews/<uuid:pk>/reply", views.DoctorReviewReplyView.as_view(), name="doctor-review-reply"),
    path("doctors/<uuid:pk>", views.DoctorDetailView.as_view(), name="doctor-detail"),
    path("doctors/<uuid:pk>/favorite", views.DoctorFavoriteView.as_view(), name="doctor-favorite"),
    path("doctors/<uuid:pk>/reviews", views.DoctorReviewListView.as_view(), name="doctor-reviews"),
    path("doctors/<uuid:pk>/visit-types", views.DoctorVisitTypeListView.as_view(), name="doctor-visit-types"),
    path("patients/me/favorites", views.PatientFavoriteListView.as_view(), name="patient-favorites"),
]
