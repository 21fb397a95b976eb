from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import views as core_views
from core.errors import django_not_found

api_v1 = [
    path("", include("core.urls")),
    path("", include("accounts.urls")),
    path("", include("doctors.urls")),
    path("", include("appointments.urls")),
    path("", include("waitlist.urls")),
    path("", include("payments.urls")),
    path("", include("notifications.urls")),
    path("", include("chat.urls")),
    path("", include("support.urls")),
]

urlpatterns = [
    path("health/", include("core.health_urls")),
    path("metrics", core_views.metrics, name="metrics"),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^api/redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Under DEBUG Django would answer an unknown path with its HTML page: the API keeps its error shape.
    re_path(r"^(?:api|health)/", csrf_exempt(django_not_found)),
    path("admin/", admin.site.urls),
    # allauth's own password change pages would skip our service (rules, audit): the portal's page serves.
    path("accounts/password/change/", RedirectView.as_view(pattern_name="portal:password-change")),
    path("accounts/password/set/", RedirectView.as_view(pattern_name="portal:password-change")),
    path("accounts/", include("allauth.urls")),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("portal/", include("portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "core.errors.django_not_found"
handler500 = "core.errors.django_server_error"
