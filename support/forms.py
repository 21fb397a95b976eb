from django import forms
from django.utils.translation import gettext_lazy as _


class SupportReplyForm(forms.Form):
    reply = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 8, "cols": 80}), max_length=5000)
