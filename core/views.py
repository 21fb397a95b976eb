from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


def health_live(request):
    return JsonResponse({"status": "ok"})


def health_ready(request):
    checks = {"database": _check_database()}
    if settings.REDIS_URL:
        checks["redis"] = _check_cache()
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": {k: "ok" if v else "fail" for k, v in checks.items()}},
        status=200 if healthy else 503,
    )


def _check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _check_cache() -> bool:
    try:
        cache.set("health:ping", "1", 5)
        return cache.get("health:ping") == "1"
    except Exception:
        return False


class MetaConfigView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Client configuration",
        responses=inline_serializer(
            "MetaConfig",
            {
                "languages": serializers.ListField(child=serializers.CharField()),
                "themes": serializers.ListField(child=serializers.CharField()),
                "currencies": serializers.ListField(child=serializers.CharField()),
                "payment_methods": serializers.ListField(child=serializers.CharField()),
                "stripe_publishable_key": serializers.CharField(allow_null=True),
                "min_app_version": serializers.CharField(),
            },
        ),
    )
    def get(self, request):
        methods = ["card", "clinic"] if settings.CARD_PAYMENTS_ENABLED else ["clinic"]
        return Response(
            {
                "languages": [code for code, _name in settings.LANGUAGES],
                "themes": ["light", "dark", "system"],
                "currencies": settings.TABIB["CURRENCIES"],
                "payment_methods": methods,
                "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY or None,
                "min_app_version": settings.TABIB["MIN_APP_VERSION"],
            }
        )


class MetaVersionView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Server version",
        responses=inline_serializer(
            "MetaVersion",
            {
                "version": serializers.CharField(),
                "api_version": serializers.CharField(),
                "git_sha": serializers.CharField(),
                "build_time": serializers.CharField(),
            },
        ),
    )
    def get(self, request):
        return Response(
            {
                "version": settings.APP_VERSION,
                "api_version": "v1",
                "git_sha": settings.GIT_SHA,
                "build_time": settings.BUILD_TIME,
            }
        )
