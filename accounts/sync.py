"""What accounts contributes to the offline sync (`core.sync`): the signed-in user's own profile (one
object, not a list) and the relatives the account books for (a removed one is a tombstone)."""

from typing import Any

from django.db.models import QuerySet

from accounts.models import Relative, User
from accounts.selectors import relatives_of
from accounts.serializers import UserSerializer, relative_representation
from core.models import SyncOp
from core.sync import register, sync_record

RESOURCE = "profile"
RELATIVES = "relatives"


def profile_sync_payload(user: User) -> dict[str, Any]:
    return UserSerializer(user).data


def profile_visible_to(user) -> QuerySet[User]:
    return User.objects.filter(pk=user.pk, is_active=True)


def profile_sync_record(*, user: User) -> None:
    """Log that the user's profile changed; call inside the writing transaction."""
    sync_record(users=[user.pk], resource=RESOURCE, object_id=user.pk)


register(RESOURCE, serialize=profile_sync_payload, visible=profile_visible_to, single=True)


def relatives_visible_to(user) -> QuerySet[Relative]:
    return relatives_of(user=user)


def relative_sync_record(*, relative: Relative, op: str = SyncOp.UPSERT) -> None:
    """Log that one of the account's relatives changed or went; call inside the writing transaction."""
    sync_record(users=[relative.user_id], resource=RELATIVES, object_id=relative.pk, op=op)


register(RELATIVES, serialize=relative_representation, visible=relatives_visible_to)
