"""Every project model's admin is scoped to the staff member's clinics, here and only here.

`clinics.site.TabibAdminSite.register` mixes `ClinicScopedAdmin` into every admin of a project
model and refuses (ImproperlyConfigured) one that does not declare `clinic_scope`: a new admin
cannot be forgotten. The scope cuts the changelist (so the search, the filters, the actions and
the exports, which all start from it), the change/delete/history pages (another clinic's object is
a 404 by URL) and the foreign-key choices of the forms.
"""

from django.contrib import admin
from django.http import Http404

from clinics import selectors
from clinics.selectors import PLATFORM


class ClinicScopedAdmin(admin.ModelAdmin):
    # Declared by each project admin (the site checks), never defaulted here: this class comes first
    # in the MRO and would hide it.
    clinic_scope: str | tuple[str, ...]

    def get_queryset(self, request):
        return selectors.clinic_scope_filter(
            queryset=super().get_queryset(request), user=request.user, scope=self.clinic_scope
        )

    def _platform_only_refused(self, request) -> bool:
        return self.clinic_scope == PLATFORM and not selectors.staff_is_platform_admin(user=request.user)

    def has_module_permission(self, request) -> bool:
        return not self._platform_only_refused(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return not self._platform_only_refused(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return not self._platform_only_refused(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._platform_only_refused(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._platform_only_refused(request) and super().has_delete_permission(request, obj)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Not yours and not there look the same: a 404, not Django's redirect that names the id.
        raise Http404

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related_admin = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related_admin, ClinicScopedAdmin) and "queryset" not in kwargs:
            kwargs["queryset"] = selectors.clinic_scope_filter(
                queryset=db_field.related_model._default_manager.all(),
                user=request.user,
                scope=related_admin.clinic_scope,
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
