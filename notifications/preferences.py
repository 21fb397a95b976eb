"""Default notification preferences: what a user gets before they ever touch the settings."""

from notifications.models import Channel, NotificationType

T, C = NotificationType, Channel

DEFAULT_PREFERENCES: dict[str, dict[str, bool]] = {
    T.APPOINTMENT: {C.IN_APP: True, C.EMAIL: True, C.PUSH: True},
    # A chat can be chatty: an email per message would be spam.
    T.CHAT: {C.IN_APP: True, C.EMAIL: False, C.PUSH: True},
    T.PAYMENT: {C.IN_APP: True, C.EMAIL: True, C.PUSH: False},
    T.REMINDER: {C.IN_APP: True, C.EMAIL: True, C.PUSH: True},
    T.SYSTEM: {C.IN_APP: True, C.EMAIL: True, C.PUSH: False},
}

# Nobody should miss a change to their appointment: the in-app copy of appointment and reminder
# notifications cannot be switched off (email and push can).
LOCKED_ON: frozenset[tuple[str, str]] = frozenset({(T.APPOINTMENT, C.IN_APP), (T.REMINDER, C.IN_APP)})
