"""OpenAPI: describe core's JWTAuthentication (a SimpleJWT subclass) as the bearer scheme.

Belongs in core once the lead merges; harmless if another app registers the same extension.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class TabibJWTScheme(SimpleJWTScheme):
    target_class = "core.authentication.JWTAuthentication"
    name = "jwtAuth"
