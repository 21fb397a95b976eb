from django.urls import path

from payments import views

urlpatterns = [
    path("payments/intents", views.PaymentIntentCreateApi.as_view(), name="payment-intent-create"),
    path("payments", views.PaymentListApi.as_view(), name="payment-list"),
    path("payments/<uuid:pk>", views.PaymentDetailApi.as_view(), name="payment-detail"),
    path("payments/<uuid:pk>/receipt", views.PaymentReceiptApi.as_view(), name="payment-receipt"),
    path("appointments/<uuid:pk>/mark-paid", views.AppointmentMarkPaidApi.as_view(), name="appointment-mark-paid"),
]
