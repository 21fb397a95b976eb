"""Operations: the local dj-stripe webhook endpoint that verifies Stripe's signatures."""

from typing import Any


def webhook_endpoint_upsert(*, secret: str, base_url: str = "") -> Any:
    """Create or update the local dj-stripe WebhookEndpoint that verifies Stripe's signatures."""
    from django.urls import reverse
    from djstripe.enums import WebhookEndpointStatus, WebhookEndpointValidation
    from djstripe.models import WebhookEndpoint

    from payments.webhooks import HANDLED_EVENTS

    endpoint = WebhookEndpoint.objects.filter(id=LOCAL_WEBHOOK_ENDPOINT_ID).first()
    if endpoint is None:
        endpoint = WebhookEndpoint(id=LOCAL_WEBHOOK_ENDPOINT_ID, livemode=False, metadata={})
    endpoint.secret = secret
    endpoint.enabled_events = sorted(HANDLED_EVENTS)
    endpoint.status = WebhookEndpointStatus.enabled
    endpoint.djstripe_validation_method = WebhookEndpointValidation.verify_signature
    endpoint.api_version = endpoint.api_version or ""
    endpoint.save()
    path = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})
    if endpoint.url != base_url.rstrip("/") + path:
        endpoint.url = base_url.rstrip("/") + path
        endpoint.save(update_fields=["url"])
    return endpoint


LOCAL_WEBHOOK_ENDPOINT_ID = "we_tabib_local"
