"""The doctor portal: thin views over the same services and selectors the API uses.

A service's `ApplicationError` is shown as a message (or next to the form); no rule lives here.
"""

import math
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.services import password_change, session_logout, user_update
from accounts.throttles import login_throttle_message, login_throttle_wait
from accounts.views import client_ip
from appointments.selectors import availability_rules_of, time_off_of
from appointments.services import (
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    availability_rules_replace,
    time_off_create,
    time_off_delete,
)
from appointments.slots import doctor_zone
from chat.selectors import message_get_with_attachment, thread_get_for_user, thread_list_for_user, unread_count_for_user
from chat.services import message_mark_read, message_send, message_send_attachment, thread_get_or_create
from chat.views import attachment_response
from core.exceptions import ApplicationError, NotFoundError
from core.middleware import SUPPORTED_LANGUAGES
from doctors.models import PaymentMethod
from doctors.selectors import doctor_profile_get_for_user, visit_type_get_own, visit_types_of
from doctors.serializers import DoctorDetailSerializer
from doctors.services import (
    doctor_photo_remove,
    doctor_photo_set,
    doctor_profile_ensure,
    doctor_profile_update,
    visit_type_create,
    visit_type_deactivate,
    visit_type_update,
)
from notifications.services import notification_mark_all_read, notification_mark_read
from payments.models import PAID_STATUSES
from payments.receipts import money_display, receipt_pdf_render
from payments.selectors import payment_receipt_available
from payments.services import payment_mark_clinic_paid
from portal import idle, selectors
from portal.charts import insights_charts
from portal.forms import (
    AppointmentFilterForm,
    AttachmentForm,
    CancelForm,
    LocaleForm,
    MessageForm,
    MessageWindowForm,
    PasswordChangeForm,
    PhotoForm,
    PortalLoginForm,
    ProfileForm,
    RuleFormSet,
    ThreadOpenForm,
    TimeOffForm,
    VisitTypeForm,
)
from portal.insights import WEEKS, portal_insights

PAGE_SIZE = 25
TODAY_POLL_SECONDS = 15


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


class DoctorRequiredMixin(AccessMixin):
    """Anonymous -> the login page; signed in but not a doctor -> 403; idle for too long -> signed
    out, then the login page. Sets `self.doctor`."""

    by_user = True  # False on endpoints the page polls by itself: they do not keep the session alive

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and idle.session_idle_expired(request):
            logout(request)
            messages.info(request, _("You were signed out after a period of inactivity."))
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.is_doctor:
            raise PermissionDenied
        idle.session_activity_record(request, by_user=self.by_user)
        self.doctor = doctor_profile_ensure(user=request.user)
        try:
            return super().dispatch(request, *args, **kwargs)
        except NotFoundError:
            raise Http404 from None  # not the doctor's (or no such thing): a 404, as in the API


class PortalPage(DoctorRequiredMixin, TemplateView):
    nav = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            doctor=self.doctor,
            nav=self.nav,
            zone=doctor_zone(self.doctor),
            unread_count=selectors.portal_unread_count(user=self.request.user),
            unread_messages=unread_count_for_user(user=self.request.user),
        )
        return context


# --- Sign in / out and language ----------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Sign-in throttled like the API's login: per account with the IP, and per account."""

    template_name = "portal/login.html"
    form_class = PortalLoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        wait = login_throttle_wait(request, email=request.POST.get("username", ""))
        if wait is None:
            return super().post(request, *args, **kwargs)
        form = self.get_form()
        form.add_error(None, login_throttle_message(wait=wait))
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(math.ceil(wait))
        return response


class LogoutView(auth_views.LogoutView):
    template_name = "portal/logged_out.html"

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            session_logout(user=request.user, ip_address=client_ip(request))
        return super().post(request, *args, **kwargs)


class LocaleSwitchView(View):
    """EN/FR switch: saved on the user (user_update) and in the language cookie."""

    def post(self, request):
        form = LocaleForm(request.POST)
        target = _safe_next(request, reverse("portal:today"))
        response = HttpResponseRedirect(target)
        if not form.is_valid():
            return response
        locale = form.cleaned_data["locale"]
        if request.user.is_authenticated:
            try:
                user_update(user=request.user, data={"locale": locale})
            except ApplicationError:
                return response
        elif locale not in SUPPORTED_LANGUAGES:
            return response
        response.set_cookie("django_language", locale, samesite="Lax", max_age=365 * 24 * 3600)
        return response


# --- Today -------------------------------------------------------------------------------------------


class TodayView(PortalPage):
    template_name = "portal/today.html"
    nav = "today"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            board=selectors.portal_today_board(doctor=self.doctor),
            cancel_form=CancelForm(),
            paid_statuses=PAID_STATUSES,
            poll_seconds=getattr(settings, "PORTAL_POLL_SECONDS", TODAY_POLL_SECONDS),
        )
        return context


class TodayPartialView(TodayView):
    template_name = "portal/_today_live.html"
    by_user = False

    def get_context_data(self, **kwargs):
        context = super(PortalPage, self).get_context_data(**kwargs)
        context.update(
            doctor=self.doctor,
            zone=doctor_zone(self.doctor),
            cancel_form=CancelForm(),
            board=selectors.portal_today_board(doctor=self.doctor),
            paid_statuses=PAID_STATUSES,
            unread_messages=unread_count_for_user(user=self.request.user),
        )
        return context


# --- Appointment actions -----------------------------------------------------------------------------


class AppointmentActionView(DoctorRequiredMixin, View):
    """POST-only: complete / no-show / cancel / mark paid, through the API's services."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        appointment = selectors.portal_appointment_get(doctor=self.doctor, appointment_id=pk)
        target = _safe_next(request, reverse("portal:appointment-detail", args=[pk]))
        try:
            if action == "complete":
                appointment_complete(appointment=appointment, by=request.user)
                messages.success(request, _("Appointment marked completed."))
            elif action == "no-show":
                appointment_mark_no_show(appointment=appointment, by=request.user)
                messages.success(request, _("Appointment marked as a no-show."))
            elif action == "cancel":
                form = CancelForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("The reason is too long."))
                    return HttpResponseRedirect(target)
                appointment_cancel(
                    appointment=appointment, by=request.user, reason=form.cleaned_data["reason"], source="portal"
                )
                messages.success(request, _("Appointment cancelled."))
            elif action == "mark-paid":
                payment_mark_clinic_paid(appointment=appointment, by=request.user)
                messages.success(request, _("Payment recorded; the receipt was issued."))
            else:
                raise Http404
        except ApplicationError as error:
            messages.error(request, error.message)
        return HttpResponseRedirect(target)


# --- Appointments ------------------------------------------------------------------------------------


class AppointmentListView(PortalPage):
    template_name = "portal/appointments.html"
    nav = "appointments"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = AppointmentFilterForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        queryset = selectors.portal_appointment_list(
            doctor=self.doctor,
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
            status=filters.get("status", ""),
            search=filters.get("q", ""),
        )
        page = Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form if self.request.GET else AppointmentFilterForm(), page=page, query=query.urlencode())
        return context


class AppointmentDetailView(PortalPage):
    template_name = "portal/appointment_detail.html"
    nav = "appointments"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        appointment = selectors.portal_appointment_get(doctor=self.doctor, appointment_id=kwargs["pk"])
        payment = getattr(appointment, "payment", None)
        context.update(
            appointment=appointment,
            payment=payment,
            cancel_form=CancelForm(),
            history=selectors.portal_status_history(appointment=appointment),
            paid_statuses=PAID_STATUSES,
        )
        return context


class ReceiptView(DoctorRequiredMixin, View):
    def get(self, request, pk):
        appointment = selectors.portal_appointment_get(doctor=self.doctor, appointment_id=pk)
        payment = getattr(appointment, "payment", None)
        if payment is None or not payment_receipt_available(payment=payment):
            raise Http404
        payment.appointment = appointment
        response = HttpResponse(receipt_pdf_render(payment=payment), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{payment.receipt_number}.pdf"'
        return response


# --- Schedule ----------------------------------------------------------------------------------------


class ScheduleView(PortalPage):
    template_name = "portal/schedule.html"
    nav = "schedule"

    def _initial_rules(self) -> list[dict]:
        return [
            {"weekday": r.weekday, "start_time": r.start_time, "end_time": r.end_time}
            for r in availability_rules_of(doctor=self.doctor)
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("rule_formset", RuleFormSet(initial=self._initial_rules(), prefix="rules"))
        context.setdefault("time_off_form", TimeOffForm(prefix="off"))
        context.setdefault(
            "visit_type_form",
            VisitTypeForm(prefix="vt", initial={"fee_currency": self.doctor.fee_currency, "buffer_minutes": 0}),
        )
        context.update(
            time_off=time_off_of(doctor=self.doctor),
            preview=selectors.portal_schedule_preview(doctor=self.doctor),
            visit_types=[
                (visit_type, money_display(visit_type.fee_amount, visit_type.fee_currency))
                for visit_type in visit_types_of(doctor=self.doctor)
            ],
        )
        return context

    def post(self, request):
        if "vt-name_en" in request.POST:
            visit_type_form = VisitTypeForm(request.POST, prefix="vt")
            if visit_type_form.is_valid() and _visit_type_saved(visit_type_form, doctor=self.doctor):
                messages.success(request, _("Visit type added."))
                return HttpResponseRedirect(reverse("portal:schedule"))
            return self.render_to_response(self.get_context_data(visit_type_form=visit_type_form), status=400)
        if "rules-TOTAL_FORMS" in request.POST:
            formset = RuleFormSet(request.POST, prefix="rules")
            if formset.is_valid():
                try:
                    availability_rules_replace(doctor=self.doctor, rules=formset.rules())
                except ApplicationError as error:
                    formset._non_form_errors = formset.error_class([error.message])
                else:
                    messages.success(request, _("Weekly hours saved."))
                    return HttpResponseRedirect(reverse("portal:schedule"))
            return self.render_to_response(self.get_context_data(rule_formset=formset), status=400)
        form = TimeOffForm(request.POST, prefix="off")
        if form.is_valid():
            zone = doctor_zone(self.doctor)
            try:
                time_off_create(
                    doctor=self.doctor,
                    start=_in_zone(form.cleaned_data["start"], zone),
                    end=_in_zone(form.cleaned_data["end"], zone),
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Time off added."))
                return HttpResponseRedirect(reverse("portal:schedule"))
        return self.render_to_response(self.get_context_data(time_off_form=form), status=400)


def _in_zone(moment: datetime, zone) -> datetime:
    """A form's datetime-local is wall-clock time in the doctor's zone."""
    return moment.replace(tzinfo=None).replace(tzinfo=zone)


def _visit_type_saved(form: VisitTypeForm, *, doctor, visit_type=None) -> bool:
    """Create (or update `visit_type`) from a valid form through the doctors services; a refusal
    becomes a form error."""
    try:
        if visit_type is None:
            visit_type_create(doctor=doctor, data=form.cleaned_data)
        else:
            visit_type_update(doctor=doctor, visit_type=visit_type, data=form.cleaned_data)
    except ApplicationError as error:
        form.add_error(None, error.message)
        return False
    return True


class VisitTypeEditView(PortalPage):
    template_name = "portal/visit_type.html"
    nav = "schedule"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visit_type = self.visit_type
        context["visit_type"] = visit_type
        context.setdefault(
            "form",
            VisitTypeForm(
                prefix="vt",
                initial={
                    field: getattr(visit_type, field)
                    for field in (
                        "name_en",
                        "name_fr",
                        "description_en",
                        "description_fr",
                        "duration_minutes",
                        "buffer_minutes",
                        "fee_amount",
                        "fee_currency",
                        "new_patients_only",
                        "accepts_payment_methods",
                    )
                },
            ),
        )
        return context

    def get(self, request, pk):
        self.visit_type = visit_type_get_own(doctor=self.doctor, visit_type_id=pk)
        return super().get(request, pk)

    def post(self, request, pk):
        self.visit_type = visit_type_get_own(doctor=self.doctor, visit_type_id=pk)
        form = VisitTypeForm(request.POST, prefix="vt")
        if form.is_valid() and _visit_type_saved(form, doctor=self.doctor, visit_type=self.visit_type):
            messages.success(request, _("Visit type saved."))
            return HttpResponseRedirect(reverse("portal:schedule"))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class VisitTypeDeactivateView(DoctorRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        visit_type = visit_type_get_own(doctor=self.doctor, visit_type_id=pk)
        try:
            visit_type_deactivate(doctor=self.doctor, visit_type=visit_type)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Visit type deactivated."))
        return HttpResponseRedirect(reverse("portal:schedule"))


class TimeOffDeleteView(DoctorRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        time_off_delete(doctor=self.doctor, time_off_id=pk)
        messages.success(request, _("Time off deleted."))
        return HttpResponseRedirect(reverse("portal:schedule"))


# --- Profile -----------------------------------------------------------------------------------------


class ProfileView(PortalPage):
    template_name = "portal/profile.html"
    nav = "profile"

    def _initial(self) -> dict:
        d = self.doctor
        return {
            "title": d.title,
            "bio": d.bio,
            "specialties": list(d.specialties.all()),
            "clinic_name": d.clinic_name,
            "clinic_address": d.clinic_address,
            "city": d.city,
            "country": d.country,
            "languages": ", ".join(d.languages or []),
            "years_experience": d.years_experience,
            "timezone": d.timezone,
            "slot_minutes": d.slot_minutes,
            "fee_amount": d.fee_amount,
            "fee_currency": d.fee_currency,
            "accepts_payment_methods": d.accepts_payment_methods,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ProfileForm(initial=self._initial()))
        context.setdefault("photo_form", PhotoForm())
        return context

    def post(self, request):
        form = ProfileForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            specialties = data.pop("specialties")
            try:
                doctor_profile_update(profile=self.doctor, data=data, specialty_ids=[s.pk for s in specialties])
            except ApplicationError as error:
                form.add_error(_profile_field(error), error.message)
            else:
                messages.success(request, _("Profile saved."))
                return HttpResponseRedirect(reverse("portal:profile"))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ProfilePhotoView(ProfileView):
    """POST-only: the photo form of the profile page, shown again there with its error."""

    http_method_names = ["post"]

    def post(self, request):
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                doctor_photo_set(profile=self.doctor, upload=form.cleaned_data["photo"])
            except ApplicationError as error:
                form.add_error("photo", error.message)
            else:
                messages.success(request, _("Photo saved."))
                return HttpResponseRedirect(reverse("portal:profile"))
        return self.render_to_response(self.get_context_data(photo_form=form), status=400)


class ProfilePhotoRemoveView(DoctorRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        doctor_photo_remove(profile=self.doctor)
        messages.success(request, _("Photo removed."))
        return HttpResponseRedirect(reverse("portal:profile"))


class ProfilePreviewView(PortalPage):
    """The doctor's public card as patients get it: the API's own detail output, laid out."""

    template_name = "portal/profile_preview.html"
    nav = "profile"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profile = doctor_profile_get_for_user(user=self.request.user)
        card = DoctorDetailSerializer(profile, context={"request": self.request}).data
        context.update(
            card=card,
            fee=money_display(card["fee"]["amount"], card["fee"]["currency"]),
            payment_methods=[PaymentMethod(m).label for m in card["accepts_payment_methods"]],
        )
        return context


_ERROR_FIELDS = {
    "invalid_timezone": "timezone",
    "invalid_currency": "fee_currency",
    "invalid_payment_method": "accepts_payment_methods",
    "invalid_language": "languages",
    "invalid_specialty": "specialties",
}


def _form_error(form, error: ApplicationError) -> None:
    """A service's error next to the field it names, else above the form."""
    form.add_error(error.attr if error.attr in form.fields else None, error.message)


def _profile_field(error: ApplicationError) -> str | None:
    return error.attr or _ERROR_FIELDS.get(str(error.code))


class PasswordChangeView(PortalPage):
    template_name = "portal/password_change.html"
    nav = "profile"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", PasswordChangeForm())
        return context

    def post(self, request):
        form = PasswordChangeForm(request.POST)
        if form.is_valid():
            try:
                password_change(
                    user=request.user,
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                    ip_address=client_ip(request),
                )
            except ApplicationError as error:
                _form_error(form, error)
            else:
                update_session_auth_hash(request, request.user)
                messages.success(request, _("Your password was changed."))
                return HttpResponseRedirect(reverse("portal:profile"))
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- Insights ----------------------------------------------------------------------------------------


class InsightsView(PortalPage):
    template_name = "portal/insights.html"
    nav = "insights"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        insights = portal_insights(doctor=self.doctor)
        context.update(insights=insights, charts=insights_charts(insights), weeks=WEEKS)
        return context


# --- Notifications -----------------------------------------------------------------------------------


class NotificationListView(PortalPage):
    template_name = "portal/notifications.html"
    nav = "notifications"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.portal_notifications(user=self.request.user), PAGE_SIZE)
        context["page"] = page.get_page(self.request.GET.get("page"))
        return context


class NotificationReadView(DoctorRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk=None):
        if pk is None:
            count = notification_mark_all_read(user=request.user)
            messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
        else:
            notification = selectors.portal_notification_get(user=request.user, notification_id=pk)
            notification_mark_read(notification=notification)
        return HttpResponseRedirect(_safe_next(request, reverse("portal:notifications")))


# --- Messages ----------------------------------------------------------------------------------------


class ThreadListView(PortalPage):
    template_name = "portal/messages.html"
    nav = "messages"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(thread_list_for_user(user=self.request.user), PAGE_SIZE)
        context["page"] = page.get_page(self.request.GET.get("page"))
        return context


class ThreadView(PortalPage):
    """History, and the two send forms (text, file); chat.js sends over the socket when it is up."""

    template_name = "portal/thread.html"
    nav = "messages"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("message_form", MessageForm(prefix="message", initial={"client_id": uuid.uuid4().hex}))
        context.setdefault(
            "attachment_form", AttachmentForm(prefix="attachment", initial={"client_id": uuid.uuid4().hex})
        )
        return context

    def get(self, request, pk):
        thread = thread_get_for_user(user=request.user, thread_id=pk)
        window_form = MessageWindowForm(request.GET)
        before = window_form.cleaned_data["before"] if window_form.is_valid() else None
        window = selectors.portal_message_window(thread=thread, before=before)
        if before is None and thread.unread_count:
            # Opening the conversation reads it; the patient's app gets the read receipt.
            message_mark_read(thread=thread, reader=request.user, up_to=window.messages[-1].pk)
        return self.render_to_response(self.get_context_data(thread=thread, window=window, before=before))

    def post(self, request, pk):
        thread = thread_get_for_user(user=request.user, thread_id=pk)
        if "attachment-client_id" in request.POST:  # the file form's own hidden field
            form, send = AttachmentForm(request.POST, request.FILES, prefix="attachment"), message_send_attachment
        else:
            form, send = MessageForm(request.POST, prefix="message"), message_send
        if form.is_valid():
            try:
                send(thread=thread, sender=request.user, **form.cleaned_data)
            except ApplicationError as error:
                _form_error(form, error)
            else:
                return HttpResponseRedirect(reverse("portal:thread", args=[thread.pk]) + "#send")
        window = selectors.portal_message_window(thread=thread)
        context = self.get_context_data(thread=thread, window=window, **{f"{form.prefix}_form": form})
        return self.render_to_response(context, status=400)


class AttachmentView(DoctorRequiredMixin, View):
    def get(self, request, pk, message_id):
        thread = thread_get_for_user(user=request.user, thread_id=pk)
        message = message_get_with_attachment(thread=thread, message_id=message_id)
        return attachment_response(message)


class ThreadOpenView(DoctorRequiredMixin, View):
    """POST `patient_id`: the conversation with one of the doctor's patients, opened on first use."""

    http_method_names = ["post"]

    def post(self, request):
        form = ThreadOpenForm(request.POST)
        if not form.is_valid():
            raise Http404
        thread, _created = thread_get_or_create(user=request.user, patient_id=form.cleaned_data["patient_id"])
        return HttpResponseRedirect(reverse("portal:thread", args=[thread.pk]))
