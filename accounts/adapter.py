"""django-allauth's hooks for its session pages (`/accounts/`), which the portal uses for password reset."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
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
