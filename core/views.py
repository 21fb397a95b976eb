from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.metrics import metrics_exposition, metrics_token_valid
from core.schema import api_errors
from core.sync import DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, sync_page


def health_live(request):
    return JsonResponse({"status": "ok"})


def health_ready(request):
    checks = {"database": _check_database()}
    if settings.REDIS_URL:
        checks["redis"] = _check_cache()
    if not settings.DEBUG:
        checks["static"] = _check_static_manifest()
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


def _check_static_manifest() -> bool:
    """Under DEBUG=False a manifest storage renders `{% static %}` only from collectstatic's manifest:
    a process that started without one would answer every portal page with a 500."""
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return True
    return bool(staticfiles_storage.hashed_files)


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


class SyncQuerySerializer(serializers.Serializer):
    since = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=512,
        default="",
        help_text="Cursor of the previous sync; omit for a full snapshot.",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_LIMIT,
        default=DEFAULT_PAGE_LIMIT,
        help_text="Changed objects per page.",
    )


class SyncView(APIView):
    @extend_schema(
        summary="Offline sync",
        description=(
            "Everything of the signed-in user that changed after `since` (no `since`: a full snapshot), "
            "plus tombstones in `deleted` for what was deleted or is no longer visible. Keep calling with "
            "the returned `cursor` while `has_more` is true; the cursor is opaque and never skips a change "
            "committed by a slow concurrent transaction."
        ),
        parameters=[SyncQuerySerializer],
        responses=inline_serializer(
            "SyncPage",
            {
                "cursor": serializers.CharField(),
                "has_more": serializers.BooleanField(),
                "changes": serializers.DictField(
                    help_text="Per resource: a list of objects (`profile`: one object or null)."
                ),
                "deleted": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()),
                    help_text="Per resource: ids of deleted / no longer visible objects.",
                ),
            },
        ),
    )
    @api_errors({400: ["invalid_cursor"], 409: ["sync_cursor_expired"]}, query=SyncQuerySerializer)
    def get(self, request):
        params = SyncQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = sync_page(
            user=request.user, since=params.validated_data["since"] or None, limit=params.validated_data["limit"]
        )
        return Response(page.as_dict())


def metrics(request):
    """Prometheus exposition for scrapers holding METRICS_TOKEN; 404 for anyone else (and for
    everyone while the token is unset)."""
    if not metrics_token_valid(request.headers.get("Authorization", "")):
        raise Http404
    body, content_type = metrics_exposition()
    return HttpResponse(body, content_type=content_type)
