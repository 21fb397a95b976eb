from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import services as account_services


class StaffLoginForm(AdminAuthenticationForm):
    """The admin's sign-in: email, password and, once the staff member enrolled an authenticator
    app, its current code."""

    code = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        max_length=12,
        help_text=_("Only if you turned on two-factor sign-in."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and not account_services.user_totp_verify(user=user, code=cleaned.get("code") or ""):
            raise ValidationError(
                _("Enter the current 6-digit code from your authenticator app."), code="totp_required"
            )
        return cleaned


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
