from rest_framework import serializers

from support.models import FaqEntry, Policy, SupportCategory, SupportRequest


class FaqEntrySerializer(serializers.ModelSerializer):
    """Question and answer in the active language (modeltranslation picks the field)."""

    category = serializers.CharField(read_only=True, help_text="account, appointments, payments, privacy, other")
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = FaqEntry
        fields = ["id", "category", "category_label", "question", "answer"]


class FaqQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class SupportRequestInputSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    message = serializers.CharField(max_length=5000)
    category = serializers.ChoiceField(choices=SupportCategory.choices, default=SupportCategory.OTHER)
    appointment_id = serializers.UUIDField(required=False, allow_null=True, default=None)


class SupportRequestOutputSerializer(serializers.ModelSerializer):
    appointment_id = serializers.UUIDField(allow_null=True, read_only=True)

    class Meta:
        model = SupportRequest
        fields = [
            "id",
            "subject",
            "message",
            "category",
            "appointment_id",
            "status",
            "staff_reply",
            "replied_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = Policy
        fields = ["slug", "version", "title", "body", "published_at"]


class PolicyAcceptInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class PolicyAcceptanceOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(source="policy.slug")
    version = serializers.IntegerField(source="policy.version")
    accepted_at = serializers.DateTimeField()


class PolicyStateSerializer(serializers.Serializer):
    version = serializers.IntegerField(allow_null=True)
    accepted = serializers.BooleanField()
    accepted_at = serializers.DateTimeField(allow_null=True)


class PolicyAcceptanceStateSerializer(serializers.Serializer):
    privacy = PolicyStateSerializer()
    terms = PolicyStateSerializer()
