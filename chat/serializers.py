"""Shapes of the chat API. Message output is `chat.events.message_payload`, the socket's shape."""

from rest_framework import serializers

from chat.events import message_payload
from chat.services import MAX_BODY_LENGTH, MAX_CLIENT_ID_LENGTH


class AttachmentOutputSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Participants-only download URL (send the bearer token).")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    name = serializers.CharField()


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    thread_id = serializers.UUIDField()
    sender_id = serializers.UUIDField()
    body = serializers.CharField()
    attachment = AttachmentOutputSerializer(allow_null=True)
    client_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return message_payload(instance)


class PatientOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class DoctorOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="DoctorProfile id, as in /doctors/{id}.")
    user_id = serializers.UUIDField()
    title = serializers.CharField()
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")


class ThreadOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    patient = PatientOutputSerializer()
    doctor = DoctorOutputSerializer()
    last_message = MessageOutputSerializer(allow_null=True)
    unread_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(help_text="Last activity (creation or latest message).")


class ThreadDetailOutputSerializer(ThreadOutputSerializer):
    last_messages = MessageOutputSerializer(many=True, help_text="The latest 20 messages, newest first.")


class ThreadCreateInputSerializer(serializers.Serializer):
    doctor_id = serializers.UUIDField(required=False, help_text="When a patient opens the thread.")
    patient_id = serializers.UUIDField(required=False, help_text="When a doctor opens the thread.")


class MessageSendInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_LENGTH, trim_whitespace=True)
    client_id = serializers.CharField(max_length=MAX_CLIENT_ID_LENGTH, required=False, allow_null=True)


class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, use_url=False)
    caption = serializers.CharField(max_length=MAX_BODY_LENGTH, required=False, allow_blank=True, default="")
    client_id = serializers.CharField(max_length=MAX_CLIENT_ID_LENGTH, required=False, allow_null=True)


class MarkReadInputSerializer(serializers.Serializer):
    up_to = serializers.UUIDField(help_text="Id of the newest message read; older ones are read too.")


class MarkReadOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    read_at = serializers.DateTimeField()


class ArchiveInputSerializer(serializers.Serializer):
    archived = serializers.BooleanField(default=True)


class ArchiveOutputSerializer(serializers.Serializer):
    archived = serializers.SerializerMethodField()

    def get_archived(self, state) -> bool:
        return state.archived_at is not None


class UnreadCountOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
