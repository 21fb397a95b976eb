"""django-allauth's hooks for its session pages (`/accounts/`), which the portal uses for password reset."""

import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from cryptography.fernet import Fernet
from django.conf import settings
from django.http import Http404, HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Accounts are created by `accounts.services.user_register` only (the API's register), which
        gives them a role and its profile; allauth's sign-up page would make role-less patients."""
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_provider(self, request: HttpRequest, provider: str, client_id: str | None = None):
        """A provider's web login pages answer 404, not 500, while staff have not configured it (the
        apps sign in through the API with the provider's token instead)."""
        try:
            return super().get_provider(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404 from None


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are stored encrypted (Fernet, key derived from SECRET_KEY): a copy of the
    database alone does not give away anyone's second factor. Rotating SECRET_KEY means staff enrol
    their authenticator app again."""

    def _fernet(self) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"mfa:{settings.SECRET_KEY}".encode()).digest()))

    def encrypt(self, text: str) -> str:
        return self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return self._fernet().decrypt(encrypted_text.encode()).decode()
