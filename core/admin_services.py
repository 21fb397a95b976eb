"""How the admin writes through the services.

A `ModelAdmin` whose `save_model`/`delete_model` call a service mixes in `ServiceAdminMixin`. When
the service refuses (an `ApplicationError`), the whole admin transaction rolls back and the form is
shown again with the service's message on the field it names (or on top), exactly as a form error:
the admin never answers a rule's refusal with a 500 and never saves half of an edit.
"""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from core.exceptions import ApplicationError

_ERROR_ATTRIBUTE = "_tabib_service_error"


class ServiceAdminMixin(admin.ModelAdmin):
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            # Django's own view is atomic: the exception rolls back everything it wrote.
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            setattr(request, _ERROR_ATTRIBUTE, error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, **kwargs)
        error: ApplicationError | None = getattr(request, _ERROR_ATTRIBUTE, None)
        if error is None:
            return form_class

        class ServiceRefusedForm(form_class):  # type: ignore[misc, valid-type]
            def clean(self) -> dict[str, Any]:
                cleaned = super().clean()
                self.add_error(error.attr if error.attr in self.fields else None, error.message)
                return cleaned

        return ServiceRefusedForm

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        """Bulk delete goes through `delete_model` (so through the service), one object at a time."""
        for obj in queryset:
            self.delete_model(request, obj)
