from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.models import Payment, PaymentMethod, PaymentStatus
from payments.receipts import receipt_data


class PaymentIntentCreateInputSerializer(serializers.Serializer):
    appointment_id = serializers.UUIDField()


class PaymentIntentOutputSerializer(serializers.Serializer):
    payment_id = serializers.UUIDField()
    client_secret = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    publishable_key = serializers.CharField()
    status = serializers.ChoiceField(choices=PaymentStatus.choices)


class ReceiptSerializer(serializers.Serializer):
    number = serializers.CharField()
    patient_name = serializers.CharField()
    attendee_name = serializers.CharField(help_text="The relative the visit was for; empty when the patient attended.")
    doctor_name = serializers.CharField()
    visit_type_name = serializers.CharField()
    clinic_name = serializers.CharField()
    clinic_address = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    appointment_start = serializers.DateTimeField()
    timezone = serializers.CharField()
    amount = serializers.IntegerField()
    amount_refunded = serializers.IntegerField()
    currency = serializers.CharField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)


class PaymentListOutputSerializer(serializers.ModelSerializer):
    appointment_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "appointment_id",
            "status",
            "amount",
            "amount_refunded",
            "currency",
            "method",
            "provider",
            "provider_payment_id",
            "receipt_number",
            "paid_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PaymentDetailOutputSerializer(PaymentListOutputSerializer):
    receipt = serializers.SerializerMethodField()

    class Meta(PaymentListOutputSerializer.Meta):
        fields = [*PaymentListOutputSerializer.Meta.fields, "receipt"]
        read_only_fields = fields

    @extend_schema_field(ReceiptSerializer(allow_null=True))
    def get_receipt(self, payment: Payment) -> dict | None:
        if not payment.receipt_number:
            return None
        return ReceiptSerializer(receipt_data(payment=payment)).data
