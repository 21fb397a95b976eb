"""Accounts API: thin views that parse with a serializer, call one service, serialize the result."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import oauth, selectors, serializers, services, throttles, tokens
from accounts.errors import AccountsErrorCode
from core.authentication import JWTAuthentication
from core.pagination import PageNumberPagination
from core.schema import api_errors

# What Django's password validators answer with (accounts.services.password_validate).
PASSWORD_CODES = [
    "password_too_short",
    "password_too_common",
    "password_entirely_numeric",
    "password_too_similar",
    AccountsErrorCode.PASSWORD_INVALID,
]

NO_BODY = OpenApiResponse(description="No content.")


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def auth_result(request, user) -> dict:
    """`{user, access, refresh}`: what register, login and social login all answer."""
    return {
        "user": serializers.UserSerializer(user, context={"request": request}).data,
        **tokens.token_pair_issue(user=user),
    }


class PublicAuthView(APIView):
    """Anyone may call these; a stale Authorization header must not turn them into a 401."""

    permission_classes = [AllowAny]
    authentication_classes: list = []


class RegisterView(PublicAuthView):
    throttle_classes = list(throttles.REGISTER_THROTTLES)

    @extend_schema(
        summary="Create a patient or doctor account",
        request=serializers.RegisterSerializer,
        responses={201: serializers.AuthResultSerializer},
        tags=["auth"],
    )
    @api_errors({400: ["invalid_role", AccountsErrorCode.EMAIL_TAKEN, *PASSWORD_CODES]})
    def post(self, request):
        serializer = serializers.RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.user_register(
            email=data["email"],
            password=data["password"],
            role=data["role"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            locale=data.get("locale") or request.LANGUAGE_CODE,
            ip_address=client_ip(request),
        )
        return Response(auth_result(request, user), status=status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    throttle_classes = list(throttles.LOGIN_THROTTLES)

    @extend_schema(
        summary="Log in with email and password",
        request=serializers.LoginSerializer,
        responses={200: serializers.AuthResultSerializer},
        tags=["auth"],
    )
    @api_errors({401: [AccountsErrorCode.INVALID_CREDENTIALS]})
    def post(self, request):
        serializer = serializers.LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_login(**serializer.validated_data, ip_address=client_ip(request))
        return Response(auth_result(request, user))


class RefreshView(PublicAuthView):
    @extend_schema(
        summary="Rotate a refresh token (the old one dies)",
        request=serializers.RefreshSerializer,
        responses={200: serializers.TokenPairSerializer},
        tags=["auth"],
    )
    @api_errors({401: [AccountsErrorCode.TOKEN_NOT_VALID]})
    def post(self, request):
        serializer = serializers.RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(tokens.token_pair_rotate(refresh=serializer.validated_data["refresh"]))


class LogoutView(PublicAuthView):
    @extend_schema(
        summary="Revoke a refresh token", request=serializers.RefreshSerializer, responses={204: NO_BODY}, tags=["auth"]
    )
    @api_errors({401: [AccountsErrorCode.TOKEN_NOT_VALID]})
    def post(self, request):
        serializer = serializers.RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens.token_revoke(refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenVerifyView(PublicAuthView):
    @extend_schema(
        summary="Check an access token",
        request=serializers.AccessTokenSerializer,
        responses={200: serializers.UserResultSerializer},
        tags=["auth"],
    )
    @api_errors({401: [AccountsErrorCode.TOKEN_NOT_VALID]})
    def post(self, request):
        serializer = serializers.AccessTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = tokens.access_token_user(token=serializer.validated_data["token"])
        return Response({"user": serializers.UserSerializer(user, context={"request": request}).data})


class EmailVerifyView(PublicAuthView):
    @extend_schema(
        summary="Confirm an email address with the emailed key",
        request=serializers.EmailVerifySerializer,
        responses={200: serializers.UserResultSerializer},
        tags=["auth"],
    )
    @api_errors({400: [AccountsErrorCode.INVALID_KEY]})
    def post(self, request):
        serializer = serializers.EmailVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.email_verify(key=serializer.validated_data["key"])
        return Response({"user": serializers.UserSerializer(user, context={"request": request}).data})


class PasswordForgotView(PublicAuthView):
    throttle_classes = [throttles.PasswordForgotAccountIpThrottle, throttles.PasswordForgotAccountThrottle]

    @extend_schema(
        summary="Email a password reset code (202 whether or not the account exists)",
        request=serializers.PasswordForgotSerializer,
        responses={202: OpenApiResponse(description="Accepted.")},
        tags=["auth"],
    )
    def post(self, request):
        serializer = serializers.PasswordForgotSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetView(PublicAuthView):
    @extend_schema(
        summary="Set a new password with the emailed uid and token",
        request=serializers.PasswordResetSerializer,
        responses={204: NO_BODY},
        tags=["auth"],
    )
    @api_errors({400: [AccountsErrorCode.INVALID_RESET_TOKEN, *PASSWORD_CODES]})
    def post(self, request):
        serializer = serializers.PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(**serializer.validated_data, ip_address=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Change my password",
        request=serializers.PasswordChangeSerializer,
        responses={204: NO_BODY},
        tags=["auth"],
    )
    @api_errors({400: [AccountsErrorCode.WRONG_PASSWORD, *PASSWORD_CODES]})
    def post(self, request):
        serializer = serializers.PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_change(
            user=request.user,
            **serializer.validated_data,
            ip_address=client_ip(request),
            keep_refresh_jti=tokens.access_token_refresh_jti(request.auth),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _signed_in_user(request):
    """The user of a valid Bearer token on a public endpoint, else None (a stale header is ignored)."""
    try:
        result = JWTAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return result[0] if result else None


class OAuthLoginView(PublicAuthView):
    @extend_schema(
        summary="Log in with Google (id_token) or Facebook (access_token)",
        description="With a valid Bearer token (the account signed in with its password), the identity "
        "is linked to that account instead: the way to link when sign-in answers 409 "
        "social_link_requires_password.",
        parameters=[
            OpenApiParameter("provider", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(oauth.PROVIDERS))
        ],
        request=serializers.OAuthLoginSerializer,
        responses={200: serializers.AuthResultSerializer},
        tags=["auth"],
    )
    @api_errors(
        {
            400: [AccountsErrorCode.SOCIAL_PROVIDER_NOT_CONFIGURED, AccountsErrorCode.SOCIAL_EMAIL_NOT_VERIFIED],
            401: [AccountsErrorCode.SOCIAL_TOKEN_INVALID],
        },
        # Each provider's own serializer requires its own token field.
        validation=["required"],
    )
    def post(self, request, provider: str):
        if provider not in oauth.PROVIDERS:
            raise Http404
        field_name, verify = oauth.PROVIDERS[provider]
        serializer_class = (
            serializers.GoogleLoginSerializer if provider == "google" else serializers.FacebookLoginSerializer
        )
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        identity = verify(**{field_name: serializer.validated_data[field_name]})
        wait = throttles.oauth_identity_throttle_wait(provider=identity.provider, uid=identity.uid)
        if wait is not None:
            raise Throttled(wait=wait)
        signed_in = _signed_in_user(request)
        if signed_in is not None:
            user = services.user_social_link(user=signed_in, identity=identity, ip_address=client_ip(request))
        else:
            user = services.user_social_login(identity=identity, ip_address=client_ip(request))
        return Response(auth_result(request, user))


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="My account", responses={200: serializers.MeSerializer}, tags=["users"])
    def get(self, request):
        return Response(serializers.MeSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        summary="Update my name, language, theme or time zone",
        request=serializers.UserUpdateSerializer,
        responses={200: serializers.MeSerializer},
        tags=["users"],
    )
    @api_errors({400: [AccountsErrorCode.INVALID_LOCALE, AccountsErrorCode.INVALID_TIMEZONE]})
    def patch(self, request):
        serializer = serializers.UserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, data=serializer.validated_data)
        return Response(serializers.MeSerializer(user, context={"request": request}).data)

    @extend_schema(summary="Erase my account (deactivate and anonymise)", responses={204: NO_BODY}, tags=["users"])
    def delete(self, request):
        services.user_erase(user=request.user, ip_address=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientProfileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My patient profile", responses={200: serializers.PatientProfileSerializer}, tags=["patients"]
    )
    @api_errors({403: [AccountsErrorCode.NOT_A_PATIENT]})
    def get(self, request):
        profile = services.patient_profile_get_or_create(user=request.user)
        return Response(serializers.PatientProfileSerializer(profile).data)

    @extend_schema(
        summary="Update my patient profile",
        request=serializers.PatientProfileSerializer,
        responses={200: serializers.PatientProfileSerializer},
        tags=["patients"],
    )
    @api_errors({403: [AccountsErrorCode.NOT_A_PATIENT]})
    def patch(self, request):
        serializer = serializers.PatientProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = services.patient_profile_update(user=request.user, data=serializer.validated_data)
        return Response(serializers.PatientProfileSerializer(profile).data)


class RelativeListView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination

    @extend_schema(
        summary="The relatives I book for", responses=serializers.RelativeSerializer(many=True), tags=["patients"]
    )
    @api_errors({403: [AccountsErrorCode.NOT_A_PATIENT]})
    def get(self, request):
        relatives = selectors.relative_list_for_user(user=request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(relatives, request, view=self)
        return paginator.get_paginated_response(serializers.RelativeSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a relative to book for (at most 10)",
        request=serializers.RelativeInputSerializer,
        responses={201: serializers.RelativeSerializer},
        tags=["patients"],
    )
    @api_errors(
        {
            400: [AccountsErrorCode.INVALID_NAME, AccountsErrorCode.INVALID_DATE_OF_BIRTH],
            403: [AccountsErrorCode.NOT_A_PATIENT],
            409: [AccountsErrorCode.TOO_MANY_RELATIVES],
        }
    )
    def post(self, request):
        serializer = serializers.RelativeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        relative = services.relative_create(user=request.user, **serializer.validated_data)
        return Response(serializers.RelativeSerializer(relative).data, status=status.HTTP_201_CREATED)


class RelativeDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Edit one of my relatives",
        request=serializers.RelativeInputSerializer(partial=True),
        responses={200: serializers.RelativeSerializer},
        tags=["patients"],
    )
    @api_errors(
        {
            400: [AccountsErrorCode.INVALID_NAME, AccountsErrorCode.INVALID_DATE_OF_BIRTH],
            403: [AccountsErrorCode.NOT_A_PATIENT],
        }
    )
    def patch(self, request, pk):
        serializer = serializers.RelativeInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        relative = services.relative_update(user=request.user, relative_id=pk, data=serializer.validated_data)
        return Response(serializers.RelativeSerializer(relative).data)

    @extend_schema(
        summary="Remove one of my relatives (not while they have upcoming appointments or wait on a waitlist)",
        responses={204: NO_BODY},
        tags=["patients"],
    )
    @api_errors(
        {
            403: [AccountsErrorCode.NOT_A_PATIENT],
            409: [AccountsErrorCode.RELATIVE_HAS_UPCOMING_APPOINTMENTS, AccountsErrorCode.RELATIVE_ON_WAITLIST],
        }
    )
    def delete(self, request, pk):
        services.relative_delete(user=request.user, relative_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
