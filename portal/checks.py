"""The portal's forms post with a CSRF token, and Django checks the browser's Origin against the
scheme and host it sees. Behind a TLS-terminating proxy Django sees http unless it trusts the proxy's
X-Forwarded-Proto (BEHIND_PROXY): then every portal form would fail with 403."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_portal_csrf_origins(app_configs, **kwargs) -> list:
    origins = settings.CSRF_TRUSTED_ORIGINS
    if not origins and not settings.SECURE_PROXY_SSL_HEADER:
        return [
            Error(
                "CSRF_TRUSTED_ORIGINS is empty and no proxy is trusted for the scheme: behind TLS termination "
                "every portal form (sign-in included) would be refused with 403.",
                hint="Set CSRF_TRUSTED_ORIGINS=https://portal-host (the portal's public origin), and "
                "BEHIND_PROXY=true when a proxy that sets X-Forwarded-Proto is in front.",
                id="tabib.E020",
            )
        ]
    insecure = [origin for origin in origins if not origin.startswith("https://")]
    if insecure:
        return [
            Warning(
                f"CSRF_TRUSTED_ORIGINS holds origins that are not https: {', '.join(insecure)}.",
                hint="In production the portal is served over https only.",
                id="tabib.W021",
            )
        ]
    return []
