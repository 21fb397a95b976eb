from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/verify", views.TokenVerifyView.as_view(), name="auth-verify"),
    path("auth/email/verify", views.EmailVerifyView.as_view(), name="auth-email-verify"),
    path("auth/password/forgot", views.PasswordForgotView.as_view(), name="auth-password-forgot"),
    path("auth/password/reset", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path("auth/password/change", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/oauth/<str:provider>", views.OAuthLoginView.as_view(), name="auth-oauth"),
    path("users/me", views.MeView.as_view(), name="users-me"),
    path("patients/me/profile", views.PatientProfileView.as_view(), name="patients-me-profile"),
    path("patients/me/relatives", views.RelativeListView.as_view(), name="patients-me-relatives"),
    path("patients/me/relatives/<uuid:pk>", views.RelativeDetailView.as_view(), name="patients-me-relative-detail"),
]
