"""OpenAPI extensions for core's own classes (drf-spectacular finds them once imported)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class TabibJWTScheme(SimpleJWTScheme):
    """Our JWTAuthentication only adds locale handling: same bearer scheme as simplejwt's."""

    target_class = "core.authentication.JWTAuthentication"
    name = "jwtAuth"
