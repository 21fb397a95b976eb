from django.urls import path

from support import views

urlpatterns = [
    path("help/faq", views.FaqView.as_view(), name="help-faq"),
    path("help/support-requests", views.SupportRequestListCreateView.as_view(), name="support-requests"),
    path("policies/acceptance", views.PolicyAcceptanceStateView.as_view(), name="policy-acceptance"),
    path("policies/<str:slug>", views.PolicyDetailView.as_view(), name="policy-detail"),
    path("policies/<str:slug>/accept", views.PolicyAcceptView.as_view(), name="policy-accept"),
]
