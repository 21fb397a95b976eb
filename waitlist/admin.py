from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from waitlist.models import WaitlistEntry


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    """Read-only: the waitlist moves through its services (offers hold slots, notify patients), so
    staff watch it here and act on the appointments."""

    clinic_scope = "doctor__clinic"

    list_display = ["created_at", "doctor", "patient", "earliest_date", "latest_date", "status", "offer_start"]
    list_filter = ["status"]
    list_select_related = ["doctor__user", "patient", "offer_appointment"]
    raw_id_fields = ["doctor", "patient", "offer_appointment", "booked_appointment"]
    search_fields = ["doctor__user__last_name", "patient__last_name", "patient__email"]
    date_hierarchy = "created_at"

    @admin.display(description=_("offered slot"))
    def offer_start(self, entry: WaitlistEntry):
        return entry.offer_appointment.start if entry.offer_appointment_id and entry.offer_appointment else None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
