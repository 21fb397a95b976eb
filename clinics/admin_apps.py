from django.contrib.admin.apps import AdminConfig


class TabibAdminConfig(AdminConfig):
    """`django.contrib.admin` with our site as the default one, so every `admin.register` (ours and
    third-party packages') lands on it. Its own module: `clinics.apps` must declare one AppConfig."""

    default_site = "clinics.site.TabibAdminSite"
