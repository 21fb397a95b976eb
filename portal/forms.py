"""Portal forms: they only parse input; every rule is checked by the service the form feeds."""

from allauth.account.forms import ResetPasswordKeyForm
from allauth.core import context
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.services import password_reset_request, password_reset_set, user_login
from accounts.views import client_ip
from appointments.models import AppointmentStatus, Weekday
from chat.services import ALLOWED_ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_BODY_LENGTH, MAX_CLIENT_ID_LENGTH
from core.exceptions import ApplicationError
from doctors.models import VISIT_BUFFER_RANGE, VISIT_DURATION_RANGE, PaymentMethod, Specialty
from doctors.photos import PHOTO_MAX_BYTES


class PortalLoginForm(AuthenticationForm):
    """Django's sign-in form, checked by the API's login service: the same audit rows, the same
    generic error for a wrong email or password."""

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email and password:
            try:
                user = user_login(email=email, password=password, ip_address=client_ip(self.request))
            except ApplicationError:
                raise self.get_invalid_login_error() from None
            user.backend = settings.AUTHENTICATION_BACKENDS[0]
            self.confirm_login_allowed(user)
            self.user_cache = user
        return self.cleaned_data


class LocaleForm(forms.Form):
    locale = forms.CharField(label=_("Language"), max_length=8)  # `user_update` says which exist
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class RuleForm(forms.Form):
    # The blank choice keeps an untouched extra row empty (an unchanged row is skipped).
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=[("", "—"), *Weekday.choices], coerce=int)
    start_time = forms.TimeField(label=_("Start"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(label=_("End"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))


class BaseRuleFormSet(forms.BaseFormSet):
    def rules(self) -> list[dict]:
        return [form.cleaned_data for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]


RuleFormSet = forms.formset_factory(RuleForm, formset=BaseRuleFormSet, extra=2, can_delete=True)


class TimeOffForm(forms.Form):
    start = forms.DateTimeField(
        label=_("From"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    end = forms.DateTimeField(
        label=_("Until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class AppointmentFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *AppointmentStatus.choices]
    )
    q = forms.CharField(label=_("Patient name"), required=False, max_length=100)


class ProfileForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=60, required=False)
    bio = forms.CharField(label=_("Biography"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    specialties = forms.ModelMultipleChoiceField(
        label=_("Specialties"), queryset=Specialty.objects.order_by("slug"), required=False
    )
    clinic_name = forms.CharField(label=_("Clinic name"), max_length=160, required=False)
    clinic_address = forms.CharField(label=_("Clinic address"), max_length=255, required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    country = forms.CharField(label=_("Country (2 letters)"), max_length=2, required=False)
    languages = forms.CharField(label=_("Languages (codes separated by commas)"), max_length=100, required=False)
    years_experience = forms.IntegerField(label=_("Years of experience"), min_value=0, max_value=80)
    timezone = forms.CharField(label=_("Time zone"), max_length=64)
    slot_minutes = forms.IntegerField(label=_("Slot length (minutes)"), min_value=5, max_value=240)
    fee_amount = forms.IntegerField(label=_("Fee (minor units, e.g. cents)"), min_value=0)
    fee_currency = forms.ChoiceField(label=_("Currency"), choices=[])
    accepts_payment_methods = forms.MultipleChoiceField(
        label=_("Accepted payment methods"), choices=PaymentMethod.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fee_currency"].choices = [(c, c) for c in settings.TABIB["CURRENCIES"]]

    def clean_languages(self) -> list[str]:
        return [code.strip().lower() for code in self.cleaned_data["languages"].split(",") if code.strip()]


class VisitTypeForm(forms.Form):
    """A visit type's fields; `visit_type_create` / `visit_type_update` check the rules."""

    name_en = forms.CharField(label=_("Name (English)"), max_length=120)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=120, required=False)
    description_en = forms.CharField(
        label=_("Description (English)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description_fr = forms.CharField(
        label=_("Description (French)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=VISIT_DURATION_RANGE[0], max_value=VISIT_DURATION_RANGE[1]
    )
    buffer_minutes = forms.IntegerField(
        label=_("Buffer after the visit (minutes)"),
        min_value=VISIT_BUFFER_RANGE[0],
        max_value=VISIT_BUFFER_RANGE[1],
        initial=0,
    )
    fee_amount = forms.IntegerField(label=_("Fee (minor units, e.g. cents)"), min_value=0)
    fee_currency = forms.ChoiceField(label=_("Currency"), choices=[])
    new_patients_only = forms.BooleanField(label=_("New patients only"), required=False)
    accepts_payment_methods = forms.MultipleChoiceField(
        label=_("Accepted payment methods (none ticked: those of your profile)"),
        choices=PaymentMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fee_currency"].choices = [(c, c) for c in settings.TABIB["CURRENCIES"]]


class MessageWindowForm(forms.Form):
    before = forms.UUIDField(required=False)


class ThreadOpenForm(forms.Form):
    patient_id = forms.UUIDField(widget=forms.HiddenInput)


def _client_id_field() -> forms.CharField:
    # Chosen when the form is rendered, so posting the same form twice stores one message.
    return forms.CharField(max_length=MAX_CLIENT_ID_LENGTH, required=False, empty_value=None, widget=forms.HiddenInput)


class MessageForm(forms.Form):
    """Its cleaned data are `message_send`'s arguments; that service says what an empty message is."""

    body = forms.CharField(
        label=_("Message"), max_length=MAX_BODY_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    client_id = _client_id_field()


class AttachmentForm(forms.Form):
    """Its cleaned data are `message_send_attachment`'s arguments; that service checks the file."""

    file = forms.FileField(
        label=_("File"), widget=forms.FileInput(attrs={"accept": ",".join(ALLOWED_ATTACHMENT_TYPES)})
    )
    caption = forms.CharField(label=_("Caption"), max_length=MAX_BODY_LENGTH, required=False)
    client_id = _client_id_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext("PNG, JPEG or PDF, at most %(mb)d MB.") % {
            "mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)
        }


class PhotoForm(forms.Form):
    # A plain file field: what counts as a photo is decided by the service, by the file's content.
    photo = forms.FileField(
        label=_("New photo"), widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].help_text = gettext("JPEG, PNG or WebP, at most %(mb)d MB.") % {
            "mb": PHOTO_MAX_BYTES // (1024 * 1024)
        }


# --- Password reset: allauth's pages (ACCOUNT_FORMS), the API's services ------------------------------


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def save(self, request) -> str:
        """Whether or not the email has an account, the page answers the same (no enumeration)."""
        email = self.cleaned_data["email"]
        password_reset_request(email=email, portal_url=request.build_absolute_uri("/"))
        return email


class PasswordResetSetForm(ResetPasswordKeyForm):
    """allauth's new-password form (validators, the two entries must match); saving goes through
    the service, which re-checks the link's token, revokes the API's refresh tokens and audits."""

    def save(self) -> None:
        password_reset_set(
            user=self.user,
            token=self.temp_key,
            new_password=self.cleaned_data["password1"],
            ip_address=client_ip(context.request),
        )


class PasswordChangeForm(forms.Form):
    """Parses the two entries; the API's `password_change` checks the current one and the rules."""

    old_password = forms.CharField(
        label=_("Current password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password_again = forms.CharField(
        label=_("New password (again)"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two passwords do not match."))
        return data
