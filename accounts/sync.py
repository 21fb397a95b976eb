"""The signed-in user's own profile in the offline sync (`core.sync`): one object, not a list."""

from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from accounts.serializers import UserSerializer
from core.sync import register, sync_record

RESOURCE = "profile"


def profile_sync_payload(user: User) -> dict[str, Any]:
    return UserSerializer(user).data


def profile_visible_to(user) -> QuerySet[User]:
    return User.objects.filter(pk=user.pk, is_active=True)


def profile_sync_record(*, user: User) -> None:
    """Log that the user's profile changed; call inside the writing transaction."""
    sync_record(users=[user.pk], resource=RESOURCE, object_id=user.pk)


register(RESOURCE, serialize=profile_sync_payload, visible=profile_visible_to, single=True)
