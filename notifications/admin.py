from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from clinics.selectors import PLATFORM
from core.admin_services import ServiceAdminMixin
from notifications import services
from notifications.models import Delivery, Device, Notification, NotificationPreference, ReminderSent


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "attempts", "last_error", "sent_at", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the services wrote, for support to read; nobody edits it by hand."""

    clinic_scope = PLATFORM

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ServiceAdminMixin, ReadOnlyAdmin):
    list_display = ("created_at", "user", "type", "template_key", "title", "in_app", "is_read")
    list_filter = ("type", "is_read", "in_app", "template_key")
    search_fields = ("user__email", "title", "template_key")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    inlines = [DeliveryInline]

    def delete_model(self, request, obj):
        services.notification_delete(notification=obj)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Where support looks when someone says "I never got the email": failed ones have the error."""

    list_display = ("created_at", "recipient", "channel", "status", "attempts", "short_error", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("notification__user__email", "notification__template_key", "last_error")
    date_hierarchy = "created_at"
    list_select_related = ("notification__user",)
    readonly_fields = (
        "notification",
        "channel",
        "status",
        "attempts",
        "last_error",
        "sent_at",
        "payload",
        "created_at",
        "updated_at",
    )

    @admin.display(description=_("recipient"), ordering="notification__user__email")
    def recipient(self, obj):
        return obj.notification.user

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:80]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Device)
class DeviceAdmin(ServiceAdminMixin, ReadOnlyAdmin):
    list_display = ("user", "platform", "model", "os_version", "app_version", "locale", "active", "updated_at")
    list_filter = ("platform", "active", "app_version")
    search_fields = ("user__email", "model", "push_token")
    list_select_related = ("user",)
    raw_id_fields = ("user", "gcm_device", "webpush_device")

    def delete_model(self, request, obj):
        services.device_unregister(device=obj)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "type", "channel", "enabled")
    list_filter = ("type", "channel", "enabled")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReminderSent)
class ReminderSentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "appointment", "kind", "start")
    list_filter = ("kind",)
    raw_id_fields = ("appointment",)
