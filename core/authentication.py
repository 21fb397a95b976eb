from django.utils import translation
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication

from core.middleware import SUPPORTED_LANGUAGES, language_from_header


class JWTAuthentication(SimpleJWTAuthentication):
    """Bearer JWT; once the user is known, their saved locale applies if no Accept-Language was sent."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and not language_from_header(request):
            locale = result[0].locale
            if locale in SUPPORTED_LANGUAGES:
                translation.activate(locale)
                request.LANGUAGE_CODE = locale
        return result
