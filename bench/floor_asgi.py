"""The benchmark floor: Tabib's ASGI application plus one bare Django view, in one Daphne process.

    DJANGO_SETTINGS_MODULE=config.settings.prod ... daphne -p 18700 bench.floor_asgi:application

`GET /bench/floor` is a plain Django view returning `{"ok": true}` through a Django ASGI handler
with no middleware (and its own one-line URLconf); every other request goes to
`config.asgi.application` unchanged. Both share the process, the event loop, the thread pool and
the settings, so `bench/compare.py` can report every row as a ratio to the floor measured in the
same run. Only this module (never imported by the project) mounts the floor: production serves
`config.asgi:application`, where `/bench/floor` does not exist.
"""

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import JsonResponse
from django.urls import path

from config.asgi import application as tabib
from core.asgi_handler import SyncChainASGIHandler

FLOOR_PATH = "/bench/floor"
# The same view through Tabib's own handler (core.asgi_handler), still without middleware: what the
# middleware stack costs is /health/live against this one.
OWN_HANDLER_FLOOR_PATH = "/bench/floor-own-handler"


def floor(request):
    return JsonResponse({"ok": True})


urlpatterns = [path(FLOOR_PATH.lstrip("/"), floor), path(OWN_HANDLER_FLOOR_PATH.lstrip("/"), floor)]


class BareASGIHandler(ASGIHandler):
    """Django's ASGI handler without any middleware, resolving against this module's URLconf."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        # What BaseHandler.load_middleware builds when settings.MIDDLEWARE is empty.
        self._middleware_chain = convert_exception_to_response(
            self._get_response_async if is_async else self._get_response
        )

    async def get_response_async(self, request):
        request.urlconf = __name__
        return await super().get_response_async(request)


class BareOwnASGIHandler(SyncChainASGIHandler):
    """Tabib's ASGI handler without any middleware, resolving against this module's URLconf."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)

    def get_response(self, request):
        request.urlconf = __name__
        return super().get_response(request)


floor_app = BareASGIHandler()
own_handler_floor_app = BareOwnASGIHandler()


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == FLOOR_PATH:
        return await floor_app(scope, receive, send)
    if scope["type"] == "http" and scope["path"] == OWN_HANDLER_FLOOR_PATH:
        return await own_handler_floor_app(scope, receive, send)
    return await tabib(scope, receive, send)
