"""The signed-in user's own profile in the offline sync (`core.sync`): one object, not a list.

TEMPORARY: the post_save receiver below stands in until the account services that change what is
serialized here (profile update, avatar, locale/theme, erasure) call
`sync_record(users=[user], resource="profile", object_id=user.pk)` inside their transaction.
"""

from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from core.sync import register, sync_record

RESOURCE = "profile"
SYNCED_FIELDS = frozenset(
    {"email", "role", "first_name", "last_name", "locale", "theme", "timezone", "avatar", "email_verified"}
)


def profile_sync_payload(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "locale": user.locale,
        "theme": user.theme,
        "timezone": user.timezone,
        "email_verified": user.email_verified,
        "avatar_url": user.avatar.url if user.avatar else None,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def profile_visible_to(user) -> QuerySet[User]:
    return User.objects.filter(pk=user.pk, is_active=True)


register(RESOURCE, serialize=profile_sync_payload, visible=profile_visible_to, single=True)


@receiver(post_save, sender=User, dispatch_uid="accounts.sync.profile_saved")
def _user_saved(sender, instance: User, update_fields=None, **kwargs) -> None:
    # A login only touches last_login; nothing the app keeps offline changed.
    if update_fields is not None and not SYNCED_FIELDS.intersection(update_fields):
        return
    sync_record(users=[instance.pk], resource=RESOURCE, object_id=instance.pk)
