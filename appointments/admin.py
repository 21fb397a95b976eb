from django.contrib import admin

from appointments.models import Appointment, AppointmentStatusChange, AvailabilityRule, CalendarFeed, TimeOff


class AppointmentStatusChangeInline(admin.TabularInline):
    model = AppointmentStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "changed_by", "source", "note", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read-only: status changes go through the services (and their notifications), not the admin."""

    list_display = ["start", "doctor", "patient", "status", "payment_method", "hold_until"]
    list_filter = ["status", "payment_method"]
    search_fields = ["patient__email", "doctor__user__email", "doctor__user__last_name"]
    date_hierarchy = "start"
    list_select_related = ["doctor__user", "patient"]
    readonly_fields = [f.name for f in Appointment._meta.fields]
    inlines = [AppointmentStatusChangeInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AvailabilityRule)
class AvailabilityRuleAdmin(admin.ModelAdmin):
    list_display = ["doctor", "weekday", "start_time", "end_time"]
    list_filter = ["weekday"]
    list_select_related = ["doctor__user"]


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["doctor", "start", "end", "reason"]
    list_select_related = ["doctor__user"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "updated_at"]
    readonly_fields = ["user", "token"]
