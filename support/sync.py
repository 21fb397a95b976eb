"""What the support app contributes to the offline sync (`core.sync`). Its services record changes
themselves (`support.services`)."""

from typing import Any

from django.db.models import QuerySet

from core.sync import register
from support.models import SupportRequest
from support.serializers import SupportRequestOutputSerializer

RESOURCE = "support_requests"


def support_request_sync_payload(support_request: SupportRequest) -> dict[str, Any]:
    return SupportRequestOutputSerializer(support_request).data


def support_requests_visible_to(user) -> QuerySet[SupportRequest]:
    return SupportRequest.objects.filter(requester=user)


register(RESOURCE, serialize=support_request_sync_payload, visible=support_requests_visible_to)
