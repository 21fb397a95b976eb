from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts import selectors as account_selectors
from accounts import services as account_services
from appointments import services
from appointments.models import (
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    AvailabilityRule,
    CalendarFeed,
    TimeOff,
)
from appointments.slots import free_slots, local_today
from clinics.exports import CsvExportAdmin
from clinics.selectors import PLATFORM, clinic_scope_filter
from core.admin_services import ServiceAdminMixin
from core.exceptions import ApplicationError
from doctors.models import DoctorProfile, VerificationStatus
from payments import services as payment_services


class AppointmentStatusChangeInline(admin.TabularInline):
    model = AppointmentStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "changed_by", "source", "note", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the patient and the doctor)"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class RescheduleForm(forms.Form):
    start = forms.ChoiceField(label=_("New time"))

    def __init__(self, *args, doctor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].choices = slot_choices(doctor=doctor)


class BookForm(forms.Form):
    """Two steps in one form: without `start` it lists the doctor's free slots; with it, books."""

    doctor = forms.ModelChoiceField(label=_("Doctor"), queryset=None)
    email = forms.EmailField(label=_("Patient's email"))
    first_name = forms.CharField(label=_("First name (new patient)"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name (new patient)"), max_length=150, required=False)
    phone = forms.CharField(label=_("Phone (new patient)"), max_length=32, required=False)
    reason = forms.CharField(label=_("Reason for the visit"), max_length=500, required=False)
    start = forms.ChoiceField(label=_("Free slot"), required=False)

    def __init__(self, *args, doctors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = doctors
        self.slots_ready = False
        doctor_id = self.data.get("doctor") if self.is_bound else None
        doctor = doctors.filter(pk=doctor_id).first() if doctor_id else None
        if doctor is not None:
            self.fields["start"].choices = slot_choices(doctor=doctor)
            self.slots_ready = True


def slot_choices(*, doctor) -> list[tuple[str, str]]:
    """The doctor's free slots of the next two weeks, labelled in the doctor's zone."""
    zone = ZoneInfo(doctor.timezone)
    today = local_today(doctor=doctor)
    return [
        (start.isoformat(), date_format(start.astimezone(zone), "DATETIME_FORMAT"))
        for _day, slots in free_slots(doctor=doctor, date_from=today, date_to=today + timedelta(days=14))
        for start, _end in slots
    ]


class ClinicPaymentFilter(admin.SimpleListFilter):
    title = _("clinic payment")
    parameter_name = "clinic_payment"

    def lookups(self, request, model_admin):
        return (("to_record", _("Completed, not recorded yet")),)

    def queryset(self, request, queryset):
        if self.value() == "to_record":
            return queryset.filter(payment_method="clinic", status=AppointmentStatus.COMPLETED, payment__isnull=True)
        return queryset


@admin.register(Appointment)
class AppointmentAdmin(CsvExportAdmin):
    """Read-only: status changes go through the services (and their notifications), not the admin.
    Appointments are cancelled, never deleted (a deletion would skip the patient's notice, the sync
    tombstone and the audit row)."""

    clinic_scope = "doctor__clinic"

    list_display = ["start", "doctor", "clinic", "patient", "relative", "status", "payment_method", "hold_until"]
    list_filter = [
        "status",
        "payment_method",
        ClinicPaymentFilter,
        ("doctor__clinic", admin.RelatedOnlyFieldListFilter),
        ("doctor", admin.RelatedOnlyFieldListFilter),
        ("start", admin.DateFieldListFilter),
    ]
    actions = [
        "cancel_appointments",
        "reschedule_appointment",
        "mark_completed",
        "mark_no_show",
        "record_clinic_payment",
    ]
    csv_columns = (
        (_("start"), lambda a: a.start.isoformat()),
        (_("end"), lambda a: a.end.isoformat()),
        (_("clinic"), lambda a: a.doctor.clinic.name if a.doctor.clinic else a.doctor.clinic_name),
        (_("doctor"), lambda a: str(a.doctor)),
        (_("patient"), lambda a: a.patient.email),
        (_("attendee"), lambda a: a.relative.full_name if a.relative else ""),
        (_("status"), lambda a: a.status),
        (_("payment method"), lambda a: a.payment_method),
        (_("cancellation reason"), lambda a: a.cancellation_reason),
    )
    search_fields = ["patient__email", "doctor__user__email", "doctor__user__last_name"]
    date_hierarchy = "start"
    list_select_related = ["doctor__user", "doctor__clinic", "patient", "relative"]
    readonly_fields = [f.name for f in Appointment._meta.fields]
    inlines = [AppointmentStatusChangeInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("clinic"), ordering="doctor__clinic__name")
    def clinic(self, obj) -> str:
        return obj.doctor.clinic.name if obj.doctor.clinic else "-"

    def get_urls(self):
        return [
            path("book/", self.admin_site.admin_view(self.book_view), name="appointments_appointment_book"),
            *super().get_urls(),
        ]

    def has_book_permission(self, request) -> bool:
        return request.user.has_perm("appointments.add_appointment")

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"can_book": self.has_book_permission(request), **(extra_context or {})}
        )

    def book_view(self, request):
        """Book on behalf of a patient who phoned, through `appointment_book` (pay at the clinic)."""
        if not self.has_book_permission(request):
            raise PermissionDenied
        doctors = clinic_scope_filter(
            queryset=DoctorProfile.objects.filter(verification_status=VerificationStatus.VERIFIED).select_related(
                "user"
            ),
            user=request.user,
            scope="clinic",
        )
        form = BookForm(request.POST or None, doctors=doctors)
        if request.method == "POST" and form.is_valid() and form.cleaned_data["start"]:
            try:
                appointment = self._book(request, form.cleaned_data)
            except ApplicationError as error:
                form.add_error(error.attr if error.attr in form.fields else None, error.message)
            else:
                self.message_user(
                    request, _("Booked %(appointment)s; the patient was told.") % {"appointment": appointment}
                )
                return HttpResponseRedirect(reverse("admin:appointments_appointment_change", args=[appointment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Book for a patient"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/appointments/appointment/book.html", context)

    @transaction.atomic
    def _book(self, request, data) -> Appointment:
        patient = account_selectors.user_find_by_email(email=data["email"])
        if patient is None:
            if not (data["first_name"] and data["last_name"]):
                raise ApplicationError(_("A new patient needs a first and a last name."), code="name_required")
            patient = account_services.patient_invite(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                phone=data["phone"],
                by=request.user,
            )
        return services.appointment_book(
            patient=patient,
            doctor=data["doctor"],
            start=datetime.fromisoformat(data["start"]),
            reason=data["reason"],
            payment_method="clinic",
        )

    def has_manage_permission(self, request) -> bool:
        return request.user.has_perm("appointments.change_appointment")

    def _each(self, request, queryset, act, done_message) -> None:
        """Run `act(appointment)` (a service call) on each; a refusal is reported, the others go on."""
        for appointment in queryset.select_related("doctor__user", "patient"):
            try:
                act(appointment)
            except ApplicationError as error:
                self.message_user(request, f"{appointment}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, done_message % {"appointment": appointment}, messages.SUCCESS)

    @admin.action(
        permissions=["manage"], description=_("Cancel for the clinic, with a reason (refund as the rules say)")
    )
    def cancel_appointments(self, request, queryset):
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._each(
                request,
                queryset,
                lambda appointment: services.appointment_cancel(
                    appointment=appointment,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    source="admin",
                    on_behalf_of_clinic=True,
                ),
                _("Cancelled %(appointment)s; the patient and the doctor were told."),
            )
            return None
        return TemplateResponse(
            request,
            "admin/appointments/appointment/cancel.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "appointments": queryset.select_related("doctor__user", "patient"),
                "title": _("Cancel appointments"),
                "opts": self.model._meta,
            },
        )

    @admin.action(permissions=["manage"], description=_("Move to another free slot (one appointment)"))
    def reschedule_appointment(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one appointment to move."), messages.ERROR)
            return None
        appointment = queryset.select_related("doctor__user", "patient").get()
        form = RescheduleForm(request.POST if "apply" in request.POST else None, doctor=appointment.doctor)
        if "apply" in request.POST and form.is_valid():
            self._each(
                request,
                queryset,
                lambda appointment: services.appointment_reschedule(
                    appointment=appointment,
                    by=request.user,
                    start=datetime.fromisoformat(form.cleaned_data["start"]),
                    on_behalf_of_clinic=True,
                ),
                _("%(appointment)s moved; the patient and the doctor were told."),
            )
            return None
        return TemplateResponse(
            request,
            "admin/appointments/appointment/reschedule.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "appointment": appointment,
                "title": _("Move the appointment"),
                "opts": self.model._meta,
            },
        )

    @admin.action(permissions=["manage"], description=_("Mark completed"))
    def mark_completed(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda appointment: services.appointment_complete(
                appointment=appointment, by=request.user, on_behalf_of_clinic=True
            ),
            _("%(appointment)s marked completed."),
        )

    @admin.action(permissions=["manage"], description=_("Mark the patient did not come (no-show)"))
    def mark_no_show(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda appointment: services.appointment_mark_no_show(
                appointment=appointment, by=request.user, on_behalf_of_clinic=True
            ),
            _("%(appointment)s marked no-show."),
        )

    def has_record_payment_permission(self, request) -> bool:
        return request.user.has_perm("payments.add_payment")

    @admin.action(
        permissions=["record_payment"], description=_("Record the payment taken at the clinic (issues the receipt)")
    )
    def record_clinic_payment(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda appointment: payment_services.payment_mark_clinic_paid(appointment=appointment, by=request.user),
            _("Payment recorded for %(appointment)s."),
        )


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
