from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from notifications.models import DevicePlatform, Notification, NotificationType


class NotificationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "type", "title", "body", "data", "is_read", "created_at"]


class NotificationFilterSerializer(serializers.Serializer):
    is_read = serializers.BooleanField(required=False, allow_null=True, default=None)
    type = serializers.ChoiceField(choices=NotificationType.choices, required=False, allow_blank=True)


class UnreadCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class ChannelSwitchesSerializer(serializers.Serializer):
    in_app = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)
    push = serializers.BooleanField(required=False)


class NotificationPreferencesSerializer(serializers.Serializer):
    appointment = ChannelSwitchesSerializer(required=False)
    chat = ChannelSwitchesSerializer(required=False)
    payment = ChannelSwitchesSerializer(required=False)
    reminder = ChannelSwitchesSerializer(required=False)
    system = ChannelSwitchesSerializer(required=False)


class DeviceInputSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=DevicePlatform.choices)
    push_token = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=4096)
    app_version = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")
    os_version = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    model = serializers.CharField(required=False, allow_blank=True, max_length=128, default="")
    locale = serializers.CharField(required=False, allow_blank=True, max_length=8, default="")

    def validate(self, attrs):
        from notifications.push import web_subscription_parse

        token = attrs.get("push_token")
        if token and attrs["platform"] == DevicePlatform.WEB and web_subscription_parse(token) is None:
            message = _("A web push token must be a push subscription of a known push service, with its keys.")
            raise serializers.ValidationError(
                {"push_token": message},
                code="invalid_push_token",
            )
        return attrs


class DeviceCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
