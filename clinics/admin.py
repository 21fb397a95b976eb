from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from clinics import services
from clinics.models import Clinic
from core.admin_services import ServiceAdminMixin


@admin.register(Clinic)
class ClinicAdmin(ServiceAdminMixin, TranslationAdmin):
    """Created, edited and staffed through `clinics.services` (doctors' clinic name and address follow)."""

    clinic_scope = "pk"

    list_display = ("name", "city", "country", "phone", "doctor_count")
    list_filter = ("country", "city")
    search_fields = ("name", "city", "address")
    filter_horizontal = ("staff",)
    fields = ("name", "address", "city", "country", "timezone", "phone", "languages", "description", "staff")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(doctor_total=Count("doctors"))

    @admin.display(description=_("doctors"), ordering="doctor_total")
    def doctor_count(self, obj) -> int:
        return obj.doctor_total

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "staff":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_staff=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.CLINIC_FIELDS if name in form.cleaned_data}
        if change:
            for name in data:  # the service compares with the stored values
                setattr(obj, name, form.initial.get(name))
            services.clinic_update(clinic=obj, data=data, by=request.user)
        else:
            obj.pk = services.clinic_create(data=data, by=request.user).pk
            obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        clinic = Clinic.objects.get(pk=form.instance.pk)
        if "staff" in form.changed_data or not change:
            services.clinic_staff_set(clinic=clinic, staff=list(form.cleaned_data["staff"]), by=request.user)
