"""OpenAPI: describe core's JWT authenticator (a SimpleJWT subclass) as a bearer scheme.

Belongs in core once merged; registered from DoctorsConfig.ready until then.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class TabibJWTScheme(SimpleJWTScheme):
    target_class = "core.authentication.JWTAuthentication"
    name = "jwtAuth"
