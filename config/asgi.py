"""ASGI entry point: HTTP through Django, WebSockets through Channels (JWT in ?token=, any Origin;
the portal's session cookie only from an allowed origin: core.websocket_auth)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from appointments.asgi import AvailabilityRoute  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from core.asgi_fast_path import AsgiFastPath  # noqa: E402
from core.websocket_auth import WebSocketAuthMiddleware  # noqa: E402
from doctors.asgi import DirectorySearchRoute  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": AsgiFastPath(django_asgi_app, routes=[DirectorySearchRoute(), AvailabilityRoute()]),
        "websocket": WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
