from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFoundError
from core.pagination import NewestFirstCursorPagination
from core.schema import api_errors
from core.throttles import account_throttle
from notifications.models import NotificationType
from notifications.selectors import (
    device_get_for_user,
    notification_get_for_user,
    notification_list,
    notification_unread_count,
)
from notifications.serializers import (
    DeviceCreatedSerializer,
    DeviceInputSerializer,
    NotificationFilterSerializer,
    NotificationOutputSerializer,
    NotificationPreferencesSerializer,
    UnreadCountSerializer,
)
from notifications.services import (
    device_register,
    device_unregister,
    notification_delete,
    notification_mark_all_read,
    notification_mark_read,
    notification_preferences_get,
    notification_preferences_update,
    notification_send,
)


class NotificationListView(APIView):
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        summary="My notifications, newest first (cursor-paginated)",
        parameters=[NotificationFilterSerializer],
        responses=NotificationOutputSerializer(many=True),
    )
    @api_errors(query=NotificationFilterSerializer)
    def get(self, request):
        filters = NotificationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        notifications = notification_list(
            user=request.user,
            is_read=filters.validated_data.get("is_read"),
            type=filters.validated_data.get("type") or None,
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notifications, request, view=self)
        return paginator.get_paginated_response(NotificationOutputSerializer(page, many=True).data)


class NotificationUnreadCountView(APIView):
    @extend_schema(summary="How many of my notifications are unread", responses=UnreadCountSerializer)
    def get(self, request):
        return Response({"count": notification_unread_count(user=request.user)})


class NotificationReadView(APIView):
    @extend_schema(summary="Mark one notification read", request=None, responses={204: None})
    def post(self, request, pk):
        notification_mark_read(notification=notification_get_for_user(user=request.user, id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationReadAllView(APIView):
    @extend_schema(summary="Mark all my notifications read", request=None, responses={204: None})
    def post(self, request):
        notification_mark_all_read(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationDetailView(APIView):
    @extend_schema(summary="Delete one of my notifications", responses={204: None})
    def delete(self, request, pk):
        notification_delete(notification=notification_get_for_user(user=request.user, id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationTestView(APIView):
    @extend_schema(
        summary="Send myself a test notification (DEBUG only; 404 otherwise)",
        request=None,
        responses={201: NotificationOutputSerializer},
    )
    def post(self, request):
        if not settings.DEBUG:
            raise NotFoundError(_("Not found."), code="not_found")
        notification = notification_send(
            user=request.user,
            type=NotificationType.SYSTEM,
            template_key="test",
            context={"name": request.user.first_name or request.user.email},
            data={"test": True},
        )
        return Response(NotificationOutputSerializer(notification).data, status=status.HTTP_201_CREATED)


class NotificationPreferencesView(APIView):
    @extend_schema(
        summary="My notification preferences per type and channel", responses=NotificationPreferencesSerializer
    )
    def get(self, request):
        return Response(notification_preferences_get(user=request.user))

    @extend_schema(
        summary="Update my notification preferences",
        description="Send any subset of type -> {in_app, email, push}; the others keep their value. The "
        "in-app channel of appointment and reminder notifications cannot be switched off.",
        request=NotificationPreferencesSerializer,
        responses=NotificationPreferencesSerializer,
    )
    def put(self, request):
        serializer = NotificationPreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(notification_preferences_update(user=request.user, preferences=serializer.validated_data))


class DeviceRegisterView(APIView):
    throttle_classes = [account_throttle("device")]

    @extend_schema(
        summary="Register or refresh a device for push notifications",
        description="Idempotent on push_token; a token registered by another account moves to this one. "
        "For web, push_token is JSON.stringify(PushSubscription).",
        request=DeviceInputSerializer,
        responses={201: DeviceCreatedSerializer},
    )
    @api_errors({400: ["invalid_push_token"]})
    def post(self, request):
        serializer = DeviceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device, _created = device_register(user=request.user, **serializer.validated_data)
        return Response({"id": str(device.pk)}, status=status.HTTP_201_CREATED)


class DeviceDetailView(APIView):
    @extend_schema(summary="Unregister one of my devices", responses={204: None})
    def delete(self, request, pk):
        device_unregister(device=device_get_for_user(user=request.user, id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
