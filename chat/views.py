"""Chat REST endpoints (API.md "Chat"): thin, every rule is in services/selectors."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.models import Message
from chat.serializers import (
    ArchiveInputSerializer,
    ArchiveOutputSerializer,
    AttachmentInputSerializer,
    MarkReadInputSerializer,
    MarkReadOutputSerializer,
    MessageOutputSerializer,
    MessageSendInputSerializer,
    ThreadCreateInputSerializer,
    ThreadDetailOutputSerializer,
    ThreadOutputSerializer,
    UnreadCountOutputSerializer,
)
from chat.services import ChatErrorCode
from core.pagination import NewestFirstCursorPagination, PageNumberPagination
from core.schema import api_errors
from core.throttles import account_throttle

TAGS = ["chat"]
THREAD_NOT_FOUND = {404: ["thread_not_found"]}


def _created_status(created: bool) -> int:
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK


def attachment_response(message: Message) -> FileResponse:
    """The file of a message the caller may read (the API and the portal check that first)."""
    response = FileResponse(
        message.attachment.open("rb"),
        as_attachment=True,
        filename=message.attachment_name,
        content_type=message.attachment_content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


class ThreadListCreateView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=TAGS,
        summary="My chat threads, most recent activity first",
        parameters=[OpenApiParameter("archived", OpenApiTypes.BOOL, description="Only archived threads.")],
        responses={200: ThreadOutputSerializer(many=True)},
    )
    def get(self, request):
        archived = request.query_params.get("archived", "").lower() in ("1", "true", "yes")
        threads = selectors.thread_list_for_user(user=request.user, archived=archived)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(threads, request, view=self)
        return paginator.get_paginated_response(ThreadOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Open the thread with a doctor (patient) or a patient (doctor), or get it",
        request=ThreadCreateInputSerializer,
        responses={201: ThreadOutputSerializer, 200: ThreadOutputSerializer},
    )
    @api_errors(
        {
            400: [ChatErrorCode.THREAD_NOT_ALLOWED],
            403: [ChatErrorCode.THREAD_NOT_ALLOWED],
            404: [ChatErrorCode.DOCTOR_NOT_FOUND, ChatErrorCode.PATIENT_NOT_FOUND],
        }
    )
    def post(self, request):
        data = ThreadCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        thread, created = services.thread_get_or_create(user=request.user, **data.validated_data)
        thread = selectors.thread_get_for_user(user=request.user, thread_id=thread.pk)
        return Response(ThreadOutputSerializer(thread).data, status=_created_status(created))


class ThreadDetailView(APIView):
    @extend_schema(
        tags=TAGS, summary="A thread with its latest 20 messages", responses={200: ThreadDetailOutputSerializer}
    )
    @api_errors(THREAD_NOT_FOUND)
    def get(self, request, thread_id):
        thread = selectors.thread_get_for_user(user=request.user, thread_id=thread_id)
        thread.last_messages = selectors.message_latest_for_thread(thread=thread)
        return Response(ThreadDetailOutputSerializer(thread).data)


class MessageListCreateView(APIView):
    throttle_classes = [account_throttle("chat_message")]
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        tags=TAGS,
        summary="Messages of a thread, newest first (cursor-paginated), optionally searched",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Text to find in this thread's messages."),
        ],
        responses={200: MessageOutputSerializer(many=True)},
    )
    @api_errors(THREAD_NOT_FOUND)
    def get(self, request, thread_id):
        thread = selectors.thread_get_for_user(user=request.user, thread_id=thread_id)
        messages = selectors.message_list_for_thread(thread=thread, q=request.query_params.get("q"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(messages, request, view=self)
        return paginator.get_paginated_response(MessageOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Send a message (REST fallback of the socket; idempotent on client_id)",
        request=MessageSendInputSerializer,
        responses={201: MessageOutputSerializer, 200: MessageOutputSerializer},
    )
    @api_errors(
        {
            **THREAD_NOT_FOUND,
            400: [ChatErrorCode.INVALID_CLIENT_ID, ChatErrorCode.EMPTY_MESSAGE, ChatErrorCode.BODY_TOO_LONG],
            409: [ChatErrorCode.CLIENT_ID_REUSED],
        }
    )
    def post(self, request, thread_id):
        thread = selectors.thread_get_for_user(user=request.user, thread_id=thread_id)
        data = MessageSendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = services.message_send(thread=thread, sender=request.user, **data.validated_data)
        return Response(MessageOutputSerializer(message).data, status=_created_status(created))


class AttachmentUploadView(APIView):
    parser_classes = [MultiPartParser]
    throttle_classes = [account_throttle("chat_attachment")]

    @extend_schema(
        tags=TAGS,
        summary="Send a PNG, JPEG or PDF (by content, at most 10 MB) with an optional caption",
        request={"multipart/form-data": AttachmentInputSerializer},
        responses={201: MessageOutputSerializer, 200: MessageOutputSerializer},
    )
    @api_errors(
        {
            **THREAD_NOT_FOUND,
            400: [ChatErrorCode.INVALID_CLIENT_ID, ChatErrorCode.BODY_TOO_LONG],
            409: [ChatErrorCode.CLIENT_ID_REUSED],
            413: [ChatErrorCode.FILE_TOO_LARGE],
            415: [ChatErrorCode.UNSUPPORTED_MEDIA_TYPE],
        }
    )
    def post(self, request, thread_id):
        thread = selectors.thread_get_for_user(user=request.user, thread_id=thread_id)
        data = AttachmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = services.message_send_attachment(thread=thread, sender=request.user, **data.validated_data)
        return Response(MessageOutputSerializer(message).data, status=_created_status(created))


class AttachmentDownloadView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Download a message's attachment (participants only)",
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in services.ALLOWED_ATTACHMENT_TYPES},
    )
    @api_errors({404: ["thread_not_found", ChatErrorCode.MESSAGE_NOT_FOUND, "attachment_not_found"]})
    def get(self, request, thread_id, message_id):
        thread = selectors.thread_get_for_user(user=request.user, thread_id=thread_id)
        return attachment_response(selectors.message_get_with_attachment(thread=thread, message_id=message_id))


class ThreadReadView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Mark the other side's messages read up to a message",
        request=MarkReadInputSerializer,
        responses={200: MarkReadOutputSerializer},
    )
    @api_errors({404: ["thread_not_found", ChatErrorCode.MESSAGE_NOT_FOUND]})
    def post(self, request, thread_id):
        thread = selectors.thread_get_for_user(user=request.user, thread_id=thread_id)
        data = MarkReadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked, read_at = services.message_mark_read(thread=thread, reader=request.user, **data.validated_data)
        return Response(MarkReadOutputSerializer({"marked": marked, "read_at": read_at}).data)


class ThreadArchiveView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Archive (or unarchive) a thread in my own list",
        request=ArchiveInputSerializer,
        responses={200: ArchiveOutputSerializer},
    )
    @api_errors(THREAD_NOT_FOUND)
    def post(self, request, thread_id):
        thread = selectors.thread_get_for_user(user=request.user, thread_id=thread_id)
        data = ArchiveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        state = services.thread_archive(thread=thread, user=request.user, **data.validated_data)
        return Response(ArchiveOutputSerializer(state).data)


class UnreadCountView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="How many messages I have not read, over all my threads",
        responses={200: UnreadCountOutputSerializer},
    )
    def get(self, request):
        return Response({"count": selectors.unread_count_for_user(user=request.user)})
