"""OpenAPI extensions: our JWT authentication is simplejwt's, documented as a bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class TabibJWTScheme(SimpleJWTScheme):
    target_class = "core.authentication.JWTAuthentication"
    name = "jwtAuth"
