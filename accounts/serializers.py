"""Shapes of the accounts API (input validation and output); the rules live in services.py."""

import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Gender, Locale, PatientProfile, Role, Theme, User
from support.selectors import policy_acceptance_state
from support.serializers import PolicyAcceptanceStateSerializer

EMAIL_MAX = 254
NAME_MAX = 150
PASSWORD_MAX = 256
TOKEN_MAX = 4096


class UserSerializer(serializers.ModelSerializer):
    """The `user` object of the API: the same everywhere (login, register, /users/me, OAuth)."""

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
        if not user.avatar:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(user.avatar.url) if request else user.avatar.url


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


class UserUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=NAME_MAX, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=NAME_MAX, allow_blank=True, required=False)
    locale = serializers.ChoiceField(choices=Locale.choices, required=False)
    theme = serializers.ChoiceField(choices=Theme.choices, required=False)
    timezone = serializers.CharField(max_length=64, required=False)

    def validate_timezone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(_("Unknown time zone."), code="invalid")
        return value


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
