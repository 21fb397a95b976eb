from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import PatientProfile, Relative, User
from accounts.services import user_deactivate
from clinics.selectors import clinic_scope_filter, staff_is_platform_admin
from core.admin_services import ServiceAdminMixin

# Saved by Django's own user admin: sign-in identity and access, which no service owns.
_ACCESS_FIELDS = ("email", "role", "email_verified", "is_active", "is_staff", "is_superuser")


class RelativeInline(admin.TabularInline):
    """The relatives a patient books for, read-only (they change through the patient's own API). An
    inline is not a registered admin, so it scopes itself as `clinics.scoping` would: clinic staff see
    only the relatives who attend an appointment in their clinics."""

    model = Relative
    fk_name = "user"
    fields = ("first_name", "last_name", "date_of_birth", "relationship", "removed_at", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return clinic_scope_filter(
            queryset=super().get_queryset(request), user=request.user, scope="appointments__doctor__clinic"
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ServiceAdminMixin, DjangoUserAdmin):
    """A person's own settings (names, locale, theme, time zone) change through `user_update`, which
    validates them and records the sync change; access fields are Django's."""

    clinic_scope = ("doctor_profile__clinic", "appointments__doctor__clinic", "staff_clinics")

    ordering = ("-created_at",)
    list_display = ("email", "first_name", "last_name", "role", "locale", "email_verified", "is_active", "created_at")
    list_filter = ("role", "is_active", "is_staff", "email_verified", "locale")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("created_at", "updated_at", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "avatar")}),
        (_("Preferences"), {"fields": ("locale", "theme", "timezone")}),
        (
            _("Role and permissions"),
            {
                "fields": (
                    "role",
                    "email_verified",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Dates"), {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not staff_is_platform_admin(user=request.user):
            # Clinic staff never grant access: no role, staff or superuser flag, group or permission.
            readonly += ["role", "is_staff", "is_superuser", "groups", "user_permissions"]
        return readonly

    def has_add_permission(self, request) -> bool:
        return staff_is_platform_admin(user=request.user) and super().has_add_permission(request)

    def get_inlines(self, request, obj):
        return [RelativeInline] if obj is not None and obj.is_patient else []

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        settings_data = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.USER_EDITABLE_FIELDS
        }
        for name in settings_data:  # the service compares with the stored value
            setattr(obj, name, form.initial[name])
        access_changed = [name for name in form.changed_data if name in _ACCESS_FIELDS]
        if access_changed:
            obj.save(update_fields=[*access_changed, "updated_at"])
        services.user_update(user=obj, data=settings_data)
        if "is_active" in access_changed and not obj.is_active:
            user_deactivate(user=obj, by=request.user, ip_address=request.META.get("REMOTE_ADDR") or None)


@admin.register(PatientProfile)
class PatientProfileAdmin(ServiceAdminMixin, admin.ModelAdmin):
    clinic_scope = "user__appointments__doctor__clinic"

    list_display = ("user", "city", "country", "created_at")
    search_fields = ("user__email", "user__last_name", "city")
    list_select_related = ("user",)
    raw_id_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        return ["user", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.PATIENT_PROFILE_FIELDS}
        services.patient_profile_update(user=obj.user, data=data)
