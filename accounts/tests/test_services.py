import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp
from django.core import mail
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import emails, services, tokens
from accounts.models import Role
from accounts.oauth import facebook_identity_verify, google_identity_verify
from accounts.tests.factories import UserFactory
from accounts.tests.mail_backends import FlakyEmailBackend
from core.exceptions import ApplicationError
from notifications.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def flaky_smtp(settings):
    settings.EMAIL_BACKEND = "accounts.tests.mail_backends.FlakyEmailBackend"
    FlakyEmailBackend.attempts = 0
    yield FlakyEmailBackend
    FlakyEmailBackend.failures_left = 0


def test_verification_email_is_retried_when_smtp_fails(flaky_smtp, django_capture_on_commit_callbacks):
    user = UserFactory(email_verified=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    flaky_smtp.failures_left = 2

    with django_capture_on_commit_callbacks(execute=True):
        services.email_verification_resend(user=user)

    assert flaky_smtp.attempts == 3
    assert len(mail.outbox) == 1
    delivery = Delivery.objects.get(notification__user=user)
    assert (delivery.status, delivery.attempts) == ("sent", 3)


def test_account_emails_go_through_the_delivery_pipeline_without_storing_the_secret(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email=user.email)

    delivery = Delivery.objects.get(notification__user=user, channel="email")
    assert delivery.status == "sent"
    assert delivery.notification.in_app is False
    assert delivery.payload == {
        "builder": "accounts.password_reset",
        "args": {"user_id": str(user.pk), "portal_url": ""},
    }
    assert "reset-password?" in mail.outbox[0].body


def test_verification_email_is_not_sent_once_verified(django_capture_on_commit_callbacks):
    user = UserFactory(email_verified=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.email_verification_resend(user=user)

    assert mail.outbox == []
    assert Delivery.objects.get(notification__user=user).status == "failed"


def test_password_reset_email_for_a_vanished_user_is_a_no_op():
    user = UserFactory(is_active=False)

    assert emails.password_reset_email_build({"user_id": str(user.pk)}) is None


def test_token_revoke_all_blacklists_every_outstanding_refresh():
    user, other = UserFactory(), UserFactory()
    for _session in range(3):
        tokens.token_pair_issue(user=user)
    tokens.token_pair_issue(user=other)

    revoked = tokens.token_revoke_all(user=user)

    assert revoked == 3
    assert BlacklistedToken.objects.filter(token__user=user).count() == 3
    assert not BlacklistedToken.objects.filter(token__user=other).exists()
    assert OutstandingToken.objects.filter(user=other).count() == 1


def test_refresh_of_a_deactivated_user_is_refused():
    user = UserFactory()
    pair = tokens.token_pair_issue(user=user)
    user.is_active = False
    user.save()

    with pytest.raises(ApplicationError) as error:
        tokens.token_pair_rotate(refresh=pair["refresh"])

    assert error.value.status == 401


def test_register_never_creates_an_admin():
    with pytest.raises(ApplicationError) as error:
        services.user_register(
            email="boss@example.com", password="plum-Tree-harbour-42", role=Role.ADMIN, first_name="B", last_name="O"
        )

    assert error.value.attr == "role"


def test_oauth_credentials_can_come_from_an_allauth_social_app(settings):
    settings.GOOGLE_CLIENT_ID = ""
    settings.FACEBOOK_APP_ID = settings.FACEBOOK_APP_SECRET = ""

    with pytest.raises(ApplicationError) as not_configured:
        google_identity_verify(id_token="x.y.z")
    assert not_configured.value.code == "social_provider_not_configured"

    SocialApp.objects.create(provider="google", name="Google", client_id="from-admin", secret="")
    with pytest.raises(ApplicationError) as configured:
        google_identity_verify(id_token="x.y.z")
    assert configured.value.code == "social_token_invalid"

    with pytest.raises(ApplicationError) as facebook_not_configured:
        facebook_identity_verify(access_token="abc")
    assert facebook_not_configured.value.code == "social_provider_not_configured"


def test_demo_seed_is_idempotent_and_its_logins_work(api_client):
    import io

    from accounts import demo
    from accounts.models import User

    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    assert User.objects.filter(email__endswith="@demo.tabib.local").count() == 1 + len(demo.PATIENTS)
    response = api_client.post(
        "/api/v1/auth/login", {"email": "alice@demo.tabib.local", "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user"]["email_verified"] is True


def test_a_task_queued_by_the_previous_release_still_sends_its_email(django_capture_on_commit_callbacks):
    from accounts.tasks import send_password_reset_email

    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        send_password_reset_email.delay(str(user.pk))

    assert len(mail.outbox) == 1
    assert Delivery.objects.get(notification__user=user).status == "sent"
