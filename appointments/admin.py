from django.contrib import admin

from appointments import services
from appointments.models import Appointment, AppointmentStatusChange, AvailabilityRule, CalendarFeed, TimeOff
from clinics.selectors import PLATFORM
from core.admin_services import ServiceAdminMixin


class AppointmentStatusChangeInline(admin.TabularInline):
    model = AppointmentStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "changed_by", "source", "note", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read-only: status changes go through the services (and their notifications), not the admin.
    Appointments are cancelled, never deleted (a deletion would skip the patient's notice, the sync
    tombstone and the audit row)."""

    clinic_scope = "doctor__clinic"

    list_display = ["start", "doctor", "patient", "status", "payment_method", "hold_until"]
    list_filter = ["status", "payment_method"]
    search_fields = ["patient__email", "doctor__user__email", "doctor__user__last_name"]
    date_hierarchy = "start"
    list_select_related = ["doctor__user", "patient"]
    readonly_fields = [f.name for f in Appointment._meta.fields]
    inlines = [AppointmentStatusChangeInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _rule_values(rule: AvailabilityRule) -> dict:
    return {"weekday": rule.weekday, "start_time": rule.start_time, "end_time": rule.end_time}


@admin.register(AvailabilityRule)
class AvailabilityRuleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """One weekly rule; saving or deleting it replaces the doctor's rules through
    `availability_rules_replace` (overlap checks, audit row, schedule version, availability cache)."""

    clinic_scope = "doctor__clinic"

    list_display = ["doctor", "weekday", "start_time", "end_time"]
    list_filter = ["weekday"]
    list_select_related = ["doctor__user"]
    raw_id_fields = ["doctor"]
    search_fields = ["doctor__user__last_name", "doctor__user__email"]

    def get_readonly_fields(self, request, obj=None):
        return ["doctor"] if obj is not None else []

    def _replace(self, *, doctor, keep: dict | None, without_pk) -> list[AvailabilityRule]:
        others = [_rule_values(rule) for rule in AvailabilityRule.objects.filter(doctor=doctor).exclude(pk=without_pk)]
        return services.availability_rules_replace(doctor=doctor, rules=[*others, *([keep] if keep else [])])

    def save_model(self, request, obj, form, change):
        created = self._replace(doctor=obj.doctor, keep=_rule_values(obj), without_pk=obj.pk if change else None)
        # The rules were rewritten: point the admin's success message and redirect at the new row.
        obj.pk = next(rule.pk for rule in created if _rule_values(rule) == _rule_values(obj))

    def delete_model(self, request, obj):
        self._replace(doctor=obj.doctor, keep=None, without_pk=obj.pk)


@admin.register(TimeOff)
class TimeOffAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Added and deleted through the services (the schedule version and the cache follow); to move
    a time off, delete it and add the new one."""

    clinic_scope = "doctor__clinic"

    list_display = ["doctor", "start", "end", "reason"]
    list_select_related = ["doctor__user"]
    raw_id_fields = ["doctor"]
    date_hierarchy = "start"
    search_fields = ["doctor__user__last_name", "doctor__user__email", "reason"]

    def get_readonly_fields(self, request, obj=None):
        return ["doctor", "start", "end", "reason"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = services.time_off_create(doctor=obj.doctor, start=obj.start, end=obj.end, reason=obj.reason)
        obj.pk = created.pk

    def delete_model(self, request, obj):
        services.time_off_delete(doctor=obj.doctor, time_off_id=obj.pk)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    clinic_scope = PLATFORM

    list_display = ["user", "updated_at"]
    readonly_fields = ["user", "token"]

    def has_add_permission(self, request) -> bool:
        return False
