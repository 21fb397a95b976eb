"""Django's HTTP handler under Daphne: each request served whole, in one call, on a bounded pool of
reused threads, as a threaded WSGI server serves it.

Django's own ASGI handler builds an asynchronous middleware chain: each `MiddlewareMixin`
middleware then runs its `process_request`/`process_response` through `sync_to_async`, each sync-only
middleware sits between two adapters, and every `process_view` and the (synchronous) view take a
hop of their own: about a dozen thread switches a request with our stack (bench/README.md). Around
that, it starts a new thread for every request (`ThreadSensitiveContext`), sends `request_started`
and `request_finished` through async adapters, and runs a disconnect listener task beside the view.

All our middleware and views are synchronous, so this handler builds the chain Django builds under
WSGI and runs the whole request in one call on `REQUEST_EXECUTOR`: `request_started`, the request
object, the middleware chain and the view, and for an ordinary (non-streaming) response its `close()`,
which sends `request_finished` from the thread that did the request's database work, handing its
connection back to the pool. Only the body's bytes go back to the event loop to be written.

The pool's threads are reused and their number is bounded (`settings.ASGI_REQUEST_THREADS`, by
default the database pool's size): a burst of requests queues in the event loop, first come first
served, instead of starting hundreds of threads that share one interpreter lock in turn (every one
of them then finishes late) and that wait for a database connection they may not get in time.

A streaming response (a file download) is written as Django writes it and closed from the pool
afterwards; the request's database connection is handed back before its body is streamed (our
streaming bodies read files, never the database).

What this gives up: Django's handler cancels an *asynchronous* view when the client disconnects
mid-request. A synchronous view cannot be interrupted by either handler; it runs to its end and its
answer is dropped.
"""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

REQUEST_EXECUTOR = ThreadPoolExecutor(max_workers=settings.ASGI_REQUEST_THREADS, thread_name_prefix="django-http")


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await in_request_thread(self.respond)(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:
                await in_request_thread(response.close)()
        finally:
            body_file.close()

    def respond(self, scope, body_file) -> HttpResponseBase:
        """The whole synchronous part of one request, in one of `REQUEST_EXECUTOR`'s threads."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if response.streaming:
            close_old_connections()
        else:
            response.close()
        return response


def in_request_thread(function):
    return sync_to_async(function, thread_sensitive=False, executor=REQUEST_EXECUTOR)
