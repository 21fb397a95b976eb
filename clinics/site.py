"""The back-office: Django's admin site with our sign-in (throttled per account, two-factor for
staff who enrolled) and third-party admins kept for superusers."""

import math

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured
from django.db.models.base import ModelBase
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.throttles import login_throttle_message, login_throttle_wait
from clinics import selectors
from clinics.dashboard_view import dashboard_context
from clinics.forms import StaffLoginForm, TotpCodeForm
from clinics.scoping import ClinicScopedAdmin
from core.exceptions import ApplicationError

_TOTP_SECRET_SESSION_KEY = "clinics.totp_secret"


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Mixed into the admin of every model that is not ours (dj-stripe's internals, periodic tasks,
    the token blacklist, sites, allauth...): staff permissions never reach them, superusers keep them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


def is_project_model(model) -> bool:
    return model._meta.app_config.name in settings.LOCAL_APPS


class TabibAdminSite(admin.AdminSite):
    site_header = _("Tabib back-office")
    site_title = _("Tabib back-office")
    index_title = _("Back-office")
    login_form = StaffLoginForm
    login_template = "clinics/admin/login.html"
    index_template = "clinics/admin/index.html"

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        """The dashboard above the list of models: figures linking to their filtered changelists."""
        dashboard = selectors.clinic_dashboard(user=request.user)
        context = {"dashboard": dashboard_context(dashboard), **(extra_context or {})}
        return super().index(request, context)

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        for model in models:
            model_admin = admin_class or admin.ModelAdmin
            if is_project_model(model):
                if not getattr(model_admin, "clinic_scope", ""):
                    raise ImproperlyConfigured(
                        f"{model_admin.__name__} must declare `clinic_scope` (see clinics.scoping)."
                    )
                model_admin = type(model_admin.__name__, (ClinicScopedAdmin, model_admin), {})
            else:
                model_admin = type(model_admin.__name__, (SuperuserOnlyAdmin, model_admin), {})
            super().register(model, model_admin, **options)

    # The index groups models by the task they serve, not by the app that holds them.
    sections = (
        (
            "desk",
            _("Front desk"),
            ("appointments.appointment", "waitlist.waitlistentry", "payments.payment", "support.supportrequest"),
        ),
        (
            "doctors",
            _("Doctors and schedules"),
            (
                "clinics.clinic",
                "doctors.doctorprofile",
                "appointments.availabilityrule",
                "appointments.timeoff",
                "doctors.review",
                "doctors.specialty",
            ),
        ),
        ("people", _("Patients and accounts"), ("accounts.user", "accounts.patientprofile")),
        ("content", _("Help center and policies"), ("support.faqentry", "support.policy", "support.policyacceptance")),
    )

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        app_list = super().get_app_list(request, app_label)
        if app_label is not None:
            return app_list
        by_label = {
            f"{app['app_label']}.{model['object_name'].lower()}": model for app in app_list for model in app["models"]
        }
        grouped = []
        for key, name, labels in self.sections:
            models = [by_label.pop(label) for label in labels if label in by_label]
            if models:
                grouped.append(
                    {"name": name, "app_label": key, "app_url": f"#{key}", "has_module_perms": True, "models": models}
                )
        rest = list(by_label.values())
        if rest:
            grouped.append(
                {
                    "name": _("Platform"),
                    "app_label": "platform",
                    "app_url": "#platform",
                    "has_module_perms": True,
                    "models": rest,
                }
            )
        return grouped

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """Throttled like the API's and the portal's sign-in (same keys, one budget), never by IP alone."""
        if request.method == "POST":
            wait = login_throttle_wait(request, email=request.POST.get("username", ""))
            if wait is not None:
                context = {
                    **self.each_context(request),
                    "title": _("Log in"),
                    "app_path": request.get_full_path(),
                    "form": self.login_form(request),
                    "throttle_message": login_throttle_message(wait=wait),
                    "next": request.POST.get("next", ""),
                }
                response = TemplateResponse(request, self.login_template, context, status=429)
                response["Retry-After"] = str(math.ceil(wait))
                return response
        return super().login(request, extra_context)

    def get_urls(self):
        return [path("two-factor/", self.admin_view(self.two_factor_view), name="two_factor"), *super().get_urls()]

    def two_factor_view(self, request: HttpRequest) -> HttpResponse:
        """Turn two-factor sign-in on (scan the QR code, confirm a code) or off (confirm a code)."""
        user = request.user
        enabled = account_selectors.user_totp_authenticator(user=user) is not None
        form = TotpCodeForm(request.POST or None)
        secret = request.session.get(_TOTP_SECRET_SESSION_KEY)
        if not enabled and not secret:
            secret = request.session[_TOTP_SECRET_SESSION_KEY] = generate_totp_secret()
        if request.method == "POST" and form.is_valid():
            try:
                if enabled:
                    account_services.user_totp_deactivate(user=user, code=form.cleaned_data["code"])
                    messages.success(request, _("Two-factor sign-in is off."))
                else:
                    account_services.user_totp_activate(user=user, secret=secret, code=form.cleaned_data["code"])
                    request.session.pop(_TOTP_SECRET_SESSION_KEY, None)
                    messages.success(request, _("Two-factor sign-in is on."))
            except ApplicationError as error:
                form.add_error("code", error.message)
            else:
                return HttpResponseRedirect(reverse("admin:two_factor"))
        context = {**self.each_context(request), "title": _("Two-factor sign-in"), "enabled": enabled, "form": form}
        if not enabled:
            adapter = get_mfa_adapter()
            context["secret"] = secret
            context["qr_svg"] = adapter.build_totp_svg(adapter.build_totp_url(user, secret))
        return TemplateResponse(request, "clinics/admin/two_factor.html", context)
