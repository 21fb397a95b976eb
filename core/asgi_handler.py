"""Django's HTTP handler under Daphne with the middleware chain run as one synchronous call.

Django's own ASGI handler builds an asynchronous middleware chain: each `MiddlewareMixin`
middleware then runs its `process_request`/`process_response` through `sync_to_async`, each sync-only
middleware sits between two adapters, and every `process_view` and the (synchronous) view take a
hop of their own: about a dozen thread switches a request with our stack (bench/README.md). All our
middleware and views are synchronous, so this handler builds the chain Django builds under WSGI and
runs it, view included, in one `sync_to_async` call per request: the same code in the same order,
one thread switch, as for a view with no middleware at all.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
