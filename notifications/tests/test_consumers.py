import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import PatientFactory
from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def _token(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


async def _connect(query: str) -> tuple[WebsocketCommunicator, bool, int | None]:
    communicator = WebsocketCommunicator(
        application, f"/ws/notifications{query}", headers=[(b"origin", b"http://localhost")]
    )
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


def test_socket_receives_a_notification_created_by_another_request(auth_client, settings):
    # given a user with an open notifications socket
    settings.DEBUG = True
    user = PatientFactory(locale="en", first_name="Sara")
    token, client = _token(user), auth_client(user)

    async def scenario():
        communicator, connected, _code = await _connect(f"?token={token}")
        assert connected
        # when another request creates a notification for them
        response = await sync_to_async(client.post)("/api/v1/notifications/test")
        assert response.status_code == 201
        # then the socket receives it, shaped as the API returns it
        frame = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return response.json(), frame

    created, frame = async_to_sync(scenario)()
    assert frame == {"type": "notification", "notification": created}


def test_socket_does_not_receive_other_users_notifications(auth_client, settings):
    settings.DEBUG = True
    me, other = PatientFactory(), PatientFactory()
    token, other_client = _token(me), auth_client(other)

    async def scenario():
        communicator, connected, _code = await _connect(f"?token={token}")
        assert connected
        await sync_to_async(other_client.post)("/api/v1/notifications/test")
        nothing = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return nothing

    assert async_to_sync(scenario)() is True


@pytest.mark.parametrize("query", ["?token=not-a-jwt", ""])
def test_socket_with_a_bad_or_missing_token_is_closed_with_4401_after_the_handshake(query):
    # the handshake completes first, so a real client (not only this communicator) gets the code
    async def scenario():
        communicator, connected, _code = await _connect(query)
        closed = await communicator.receive_output(timeout=3)
        await communicator.wait()
        return connected, closed

    connected, closed = async_to_sync(scenario)()

    assert connected is True
    assert closed == {"type": "websocket.close", "code": 4401}
