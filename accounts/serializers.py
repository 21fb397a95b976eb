"""Shapes of the accounts API (input validation and output); the rules live in services.py."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Gender, Locale, PatientProfile, Relationship, Relative, Role, Theme, User
from core.representation import datetime_representation
from support.selectors import policy_acceptance_state
from support.serializers import PolicyAcceptanceStateSerializer

EMAIL_MAX = 254
NAME_MAX = 150
PASSWORD_MAX = 256
TOKEN_MAX = 4096


def user_representation(user: User, *, request=None) -> dict:
    """The `user` object as `UserSerializer` declares it, built directly (every /users/me)."""
    return {
        "id": str(user.pk),
        "email": user.email,
        "role": str(user.role),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "locale": str(user.locale),
        "theme": str(user.theme),
        "timezone": user.timezone,
        "email_verified": user.email_verified,
        "avatar_url": _avatar_url(user, request),
        "created_at": datetime_representation(user.created_at),
    }


def _avatar_url(user: User, request) -> str | None:
    if not user.avatar:
        return None
    return request.build_absolute_uri(user.avatar.url) if request else user.avatar.url


def policies_representation(*, user: User) -> dict:
    """`policy_acceptance_state` as `PolicyAcceptanceStateSerializer` declares it."""
    return {
        slug: {
            "version": state["version"],
            "accepted": state["accepted"],
            "accepted_at": datetime_representation(state["accepted_at"]),
        }
        for slug, state in policy_acceptance_state(user=user).items()
    }


class UserSerializer(serializers.ModelSerializer):
    """The `user` object of the API: the same everywhere (login, register, /users/me, OAuth). The
    fields declare the schema; `user_representation` builds the output."""

    avatar_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "role",
            "first_name",
            "last_name",
            "locale",
            "theme",
            "timezone",
            "email_verified",
            "avatar_url",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar_url(self, user: User) -> str | None:
        return _avatar_url(user, self.context.get("request"))

    def to_representation(self, instance: User) -> dict:
        return user_representation(instance, request=self.context.get("request"))


class MeSerializer(UserSerializer):
    """`/users/me`: the user object plus which current policy versions they accepted, so the app can
    ask again after a policy changes."""

    policies = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "policies"]
        read_only_fields = fields

    @extend_schema_field(PolicyAcceptanceStateSerializer)
    def get_policies(self, user: User) -> dict:
        return PolicyAcceptanceStateSerializer(policy_acceptance_state(user=user)).data

    def to_representation(self, instance: User) -> dict:
        return {**super().to_representation(instance), "policies": policies_representation(user=instance)}


@extend_schema_field({"allOf": [{"$ref": "#/components/schemas/LocaleEnum"}]})
class LocaleInputField(serializers.CharField):
    """A locale as text: `user_update` decides which exist; the schema still lists them."""


class UserUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=NAME_MAX, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=NAME_MAX, allow_blank=True, required=False)
    # Shape only: `user_update` says which languages and time zones exist.
    locale = LocaleInputField(max_length=8, required=False)
    theme = serializers.ChoiceField(choices=Theme.choices, required=False)
    timezone = serializers.CharField(max_length=64, required=False, help_text="An IANA zone, e.g. `Europe/Paris`")


class AuthResultSerializer(serializers.Serializer):
    user = UserSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class UserResultSerializer(serializers.Serializer):
    user = UserSerializer()


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=EMAIL_MAX)
    password = serializers.CharField(max_length=PASSWORD_MAX, trim_whitespace=False)
    role = serializers.ChoiceField(
        choices=[(Role.PATIENT.value, Role.PATIENT.label), (Role.DOCTOR.value, Role.DOCTOR.label)]
    )
    first_name = serializers.CharField(max_length=NAME_MAX)
    last_name = serializers.CharField(max_length=NAME_MAX)
    locale = serializers.ChoiceField(choices=Locale.choices, required=False)


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=EMAIL_MAX)
    password = serializers.CharField(max_length=PASSWORD_MAX, trim_whitespace=False)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=TOKEN_MAX)


class AccessTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=TOKEN_MAX)


class EmailVerifySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=512)


class PasswordForgotSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=EMAIL_MAX)


class PasswordResetSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=PASSWORD_MAX, trim_whitespace=False)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=PASSWORD_MAX, trim_whitespace=False)
    new_password = serializers.CharField(max_length=PASSWORD_MAX, trim_whitespace=False)


class GoogleLoginSerializer(serializers.Serializer):
    id_token = serializers.CharField(max_length=TOKEN_MAX)


class FacebookLoginSerializer(serializers.Serializer):
    access_token = serializers.CharField(max_length=TOKEN_MAX)


class OAuthLoginSerializer(serializers.Serializer):
    """Documentation shape: `id_token` for Google, `access_token` for Facebook."""

    id_token = serializers.CharField(max_length=TOKEN_MAX, required=False)
    access_token = serializers.CharField(max_length=TOKEN_MAX, required=False)


class PatientProfileSerializer(serializers.ModelSerializer):
    date_of_birth = serializers.DateField(allow_null=True, required=False)
    phone = serializers.RegexField(
        # At least one character: blank is allowed on its own (and the schema says so once, not twice).
        r"^\+?[0-9 ().-]{1,31}$",
        max_length=32,
        allow_blank=True,
        required=False,
        error_messages={"invalid": _("Enter a valid phone number.")},
    )
    gender = serializers.ChoiceField(choices=Gender.choices, allow_blank=True, required=False)
    address = serializers.CharField(max_length=255, allow_blank=True, required=False)
    city = serializers.CharField(max_length=120, allow_blank=True, required=False)
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        max_length=2,
        allow_blank=True,
        required=False,
        error_messages={"invalid": _("Enter a two-letter ISO country code.")},
    )

    class Meta:
        model = PatientProfile
        fields = ["date_of_birth", "phone", "gender", "address", "city", "country"]

    def validate_date_of_birth(self, value):
        if value is not None and value > timezone.localdate():
            raise serializers.ValidationError(_("The date of birth cannot be in the future."), code="invalid")
        return value

    def validate_country(self, value: str) -> str:
        return value.upper()


def attendee_representation(relative: Relative | None) -> dict | None:
    """Who attends an appointment, as `AttendeeSerializer` declares it: None when the account holder does."""
    if relative is None:
        return None
    return {
        "first_name": relative.first_name,
        "last_name": relative.last_name,
        "date_of_birth": relative.date_of_birth.isoformat() if relative.date_of_birth else None,
        "relationship": str(relative.relationship),
    }


def relative_representation(relative: Relative) -> dict:
    """A relative as `RelativeSerializer` declares it (the list, the detail and the offline sync)."""
    return {"id": str(relative.pk), **(attendee_representation(relative) or {})}


class AttendeeSerializer(serializers.Serializer):
    """The relative attending an appointment booked by the account holder."""

    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    relationship = serializers.ChoiceField(choices=Relationship.choices)


class RelativeSerializer(AttendeeSerializer):
    """Output of `/patients/me/relatives`; `relative_representation` builds it."""

    id = serializers.UUIDField()

    def to_representation(self, instance: Relative) -> dict:
        return relative_representation(instance)


class RelativeInputSerializer(serializers.Serializer):
    """Shape only: `relative_create` / `relative_update` check the names and the date of birth."""

    first_name = serializers.CharField(max_length=NAME_MAX)
    last_name = serializers.CharField(max_length=NAME_MAX)
    date_of_birth = serializers.DateField()
    relationship = serializers.ChoiceField(choices=Relationship.choices)
