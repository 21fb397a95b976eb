"""ASGI entry point: HTTP through Django, WebSockets through Channels (JWT in ?token=, any Origin;
the portal's session cookie only from an allowed origin: core.websocket_auth)."""

import gc

import django

from config.environment import configure_settings_module

configure_settings_module()
django.setup(set_prefix=False)

from core.asgi_handler import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from appointments.asgi import AvailabilityRoute  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from core.asgi_fast_path import AsgiFastPath  # noqa: E402
from core.telemetry_middleware import WebSocketMetrics  # noqa: E402
from core.websocket_auth import WebSocketAuthMiddleware  # noqa: E402
from doctors.asgi import DirectorySearchRoute  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": AsgiFastPath(django_asgi_app, routes=[DirectorySearchRoute(), AvailabilityRoute()]),
        "websocket": WebSocketMetrics(WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)

# What start-up loaded (modules, URL patterns, translations, settings) lives as long as the process:
# frozen, it is no longer walked by every full garbage collection, which otherwise stalls every
# request the process is serving for tens of milliseconds (bench/README.md, tails).
gc.freeze()
