from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, ConflictError
from core.services import audit_record
from core.sync import sync_record
from notifications.models import NotificationType
from notifications.services import notification_send
from support.models import Policy, PolicyAcceptance, SupportRequest, SupportStatus
from support.selectors import policy_get_published
from support.sync import RESOURCE as SUPPORT_SYNC_RESOURCE


def _record_support_request_change(support_request: SupportRequest) -> None:
    sync_record(users=[support_request.requester_id], resource=SUPPORT_SYNC_RESOURCE, object_id=support_request.pk)


@transaction.atomic
def support_request_create(
    *, requester: Any, subject: str, message: str, category: str, appointment_id: Any = None
) -> SupportRequest:
    """Open a support request. The appointment, if given, must be one the requester takes part in."""
    appointment = None
    if appointment_id is not None:
        # Up-call (see docs/architecture.md): appointments sits above support in the dependency order.
        from appointments.models import Appointment

        appointment = Appointment.objects.filter(
            Q(patient=requester) | Q(doctor__user=requester), pk=appointment_id
        ).first()
        if appointment is None:
            raise ApplicationError(_("No such appointment."), code="appointment_not_found", attr="appointment_id")
    support_request = SupportRequest.objects.create(
        requester=requester, subject=subject, message=message, category=category, appointment=appointment
    )
    _record_support_request_change(support_request)
    return support_request


@transaction.atomic
def support_request_reply(*, request: SupportRequest, by: Any, reply: str) -> SupportRequest:
    """Staff answer a request: it becomes `answered` and the requester is notified in their locale."""
    reply = reply.strip()
    if not reply:
        raise ApplicationError(_("The reply is empty."), code="reply_empty", attr="reply")
    support_request = SupportRequest.objects.select_for_update().select_related("requester").get(pk=request.pk)
    if support_request.status == SupportStatus.CLOSED:
        raise ConflictError(_("This request is closed."), code="support_request_closed")
    support_request.staff_reply = reply
    support_request.replied_at = timezone.now()
    support_request.replied_by = by
    support_request.status = SupportStatus.ANSWERED
    support_request.save(update_fields=["staff_reply", "replied_at", "replied_by", "status", "updated_at"])
    notification_send(
        user=support_request.requester,
        type=NotificationType.SYSTEM,
        template_key="support_reply",
        context={"subject": support_request.subject, "reply": reply},
        data={"support_request_id": str(support_request.pk)},
    )
    audit_record(action="support_request.reply", actor=by, target=support_request)
    _record_support_request_change(support_request)
    return support_request


@transaction.atomic
def support_request_close(*, request: SupportRequest, by: Any) -> SupportRequest:
    support_request = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if support_request.status != SupportStatus.CLOSED:
        support_request.status = SupportStatus.CLOSED
        support_request.save(update_fields=["status", "updated_at"])
        audit_record(action="support_request.close", actor=by, target=support_request)
        _record_support_request_change(support_request)
    return support_request


@transaction.atomic
def policy_publish(*, policy: Policy, by: Any = None) -> Policy:
    """Make `policy` the current version of its slug; the previous one is withdrawn in the same
    transaction (the database allows only one published version per slug)."""
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    if policy.is_published:
        return policy
    Policy.objects.filter(slug=policy.slug, is_published=True).update(is_published=False)
    policy.is_published = True
    policy.published_at = timezone.now()
    try:
        with transaction.atomic():
            policy.save(update_fields=["is_published", "published_at", "updated_at"])
    except IntegrityError:
        raise ConflictError(
            _("Another version was published at the same time."), code="policy_publish_conflict"
        ) from None
    audit_record(
        action="policy.publish", actor=by, target=policy, data={"slug": policy.slug, "version": policy.version}
    )
    return policy


def policy_accept(*, user: Any, slug: str, version: int | None = None) -> PolicyAcceptance:
    """Record that `user` accepted the current version of `slug`; accepting twice changes nothing.
    A `version` that is no longer current is refused so nobody accepts a text they did not see."""
    policy = policy_get_published(slug=slug)
    if version is not None and version != policy.version:
        raise ConflictError(
            _("A newer version of this policy has been published."), code="policy_outdated", attr="version"
        )
    try:
        with transaction.atomic():
            acceptance, _created = PolicyAcceptance.objects.get_or_create(user=user, policy=policy)
    except IntegrityError:
        # Two simultaneous accepts: the other one won, which is the same outcome.
        acceptance = PolicyAcceptance.objects.get(user=user, policy=policy)
    return acceptance
