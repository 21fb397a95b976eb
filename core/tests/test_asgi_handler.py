"""config.asgi serves HTTP through `SyncChainASGIHandler`: one thread switch a request, and the same
answers as Django's own ASGI handler, middleware included."""

import pytest
from django.core.handlers.asgi import ASGIHandler
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from core.asgi_handler import SyncChainASGIHandler
from core.tests.asgi import asgi_get

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_kind_of_request_gets_the_answer_djangos_handler_gives():
    user = UserFactory(locale="fr")
    bearer = f"Bearer {RefreshToken.for_user(user).access_token}"
    requests = [
        ("/health/live", {}),
        ("/api/v1/users/me", {"Authorization": bearer}),
        ("/api/v1/users/me/", {"Authorization": bearer, "Accept-Language": "en"}),
        ("/api/v1/users/me", {}),
        ("/api/v1/no-such-thing", {"Accept-Language": "fr"}),
        ("/api/v1/doctors?min_rating=nine", {}),
        ("/portal/", {}),
    ]
    ours, djangos = SyncChainASGIHandler(), ASGIHandler()

    for url, headers in requests:
        headers = {"X-Request-ID": "same-id", **headers}
        expected = asgi_get(djangos, url, headers)

        assert asgi_get(ours, url, headers) == expected, url
