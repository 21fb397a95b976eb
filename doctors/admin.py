from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from clinics import services as clinic_services
from clinics.selectors import SHARED
from core.admin_services import ServiceAdminMixin
from doctors import services
from doctors.directory_cache import directory_changed
from doctors.models import DoctorProfile, Review, Specialty, VerificationStatus, VisitType


@admin.register(Specialty)
class SpecialtyAdmin(TranslationAdmin):
    clinic_scope = SHARED

    list_display = ("name", "slug")
    search_fields = ("name_en", "name_fr", "slug")
    prepopulated_fields = {"slug": ("name_en",)}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        directory_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        directory_changed()


class VerificationDecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the doctor)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=1000,
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


class VisitTypeInline(admin.TabularInline):
    """The doctor's visit types, written through `visit_type_create` / `visit_type_update`
    (`DoctorProfileAdmin.save_formset`): never deleted, deactivated by unticking "active"."""

    model = VisitType
    extra = 0
    can_delete = False
    fields = (
        "name_en",
        "name_fr",
        "description_en",
        "description_fr",
        "duration_minutes",
        "buffer_minutes",
        "fee_amount",
        "fee_currency",
        "new_patients_only",
        "is_active",
        "is_default",
    )
    readonly_fields = ("is_default",)


@admin.register(DoctorProfile)
class DoctorProfileAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Edits go through `doctor_profile_update` and the photo services (validation, the directory and
    availability caches); the verification through the actions. Doctors sign up themselves."""

    clinic_scope = "clinic"

    list_display = (
        "doctor_name",
        "doctor_email",
        "city",
        "country",
        "specialty_list",
        "verification_status",
        "avg_rating",
        "rating_count",
        "created_at",
    )
    list_filter = ("verification_status", ("clinic", admin.RelatedOnlyFieldListFilter), "specialties", "country")
    search_fields = ("user__first_name", "user__last_name", "user__email", "city", "search_name")
    list_select_related = ("user", "clinic")
    raw_id_fields = ("user",)
    filter_horizontal = ("specialties",)
    fields = (
        "user",
        "clinic",
        *services.PROFILE_FIELDS,
        "fee_amount",
        "fee_currency",
        "specialties",
        "photo",
        "verification_status",
        "verified_by",
        "verified_at",
        "verification_reason",
        "avg_rating",
        "rating_count",
        "next_available_at",
        "search_name",
    )
    readonly_fields = (
        "user",
        "verification_status",
        "verified_by",
        "verified_at",
        "verification_reason",
        "avg_rating",
        "rating_count",
        "next_available_at",
        "search_name",
    )
    actions = ("approve_doctors", "reject_doctors")
    list_per_page = 50
    inlines = [VisitTypeInline]

    def get_queryset(self, request):
        # The verification queue first: pending doctors on top, oldest request first.
        queue = Case(
            When(verification_status=VerificationStatus.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return (
            super()
            .get_queryset(request)
            .prefetch_related("specialties")
            .annotate(queue=queue)
            .order_by("queue", "created_at")
        )

    @admin.display(description=_("name"), ordering="user__last_name")
    def doctor_name(self, obj):
        return f"{obj.title} {obj.user.first_name} {obj.user.last_name}".strip()

    @admin.display(description=_("email"), ordering="user__email")
    def doctor_email(self, obj):
        return obj.user.email

    @admin.display(description=_("specialties"))
    def specialty_list(self, obj):
        return ", ".join(s.name for s in obj.specialties.all())

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A doctor with appointments cannot go; one is hidden from search by rejecting it.
        return False

    def save_model(self, request, obj, form, change):
        editable = {*services.PROFILE_FIELDS, "fee_amount", "fee_currency"}
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in editable}
        specialty_ids = (
            [specialty.pk for specialty in form.cleaned_data["specialties"]]
            if "specialties" in form.changed_data
            else None
        )
        services.doctor_profile_update(profile=obj, data=data, specialty_ids=specialty_ids)
        if "clinic" in form.changed_data:
            clinic_services.clinic_doctor_assign(clinic=form.cleaned_data["clinic"], doctor=obj, by=request.user)
        if "photo" in form.changed_data:
            upload = form.cleaned_data["photo"]
            obj.photo = form.initial.get("photo") or ""  # the service deletes the file it replaces
            if upload:
                services.doctor_photo_set(profile=obj, upload=upload)
            else:
                services.doctor_photo_remove(profile=obj)

    def save_related(self, request, form, formsets, change):
        # Specialties were set by the service in save_model; the form must not write them again.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not VisitType:
            return super().save_formset(request, form, formset, change)
        doctor = form.instance
        # What the admin's change message reads of a saved formset.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for visit_type_form in formset.forms:
            if not visit_type_form.has_changed():
                continue
            cleaned = visit_type_form.cleaned_data
            if visit_type_form.instance._state.adding:
                data = {name: cleaned[name] for name in services.VISIT_TYPE_FIELDS if name in cleaned}
                formset.new_objects.append(services.visit_type_create(doctor=doctor, data=data))
            else:
                changed = visit_type_form.changed_data
                visit_type = services.visit_type_update(
                    doctor=doctor, visit_type=visit_type_form.instance, data={name: cleaned[name] for name in changed}
                )
                formset.changed_objects.append((visit_type, changed))
        return None

    def _decide(self, request, queryset, *, approve: bool):
        form = VerificationDecisionForm(
            request.POST if request.POST.get("confirm") else None, reason_required=not approve
        )
        if request.POST.get("confirm") and form.is_valid():
            for doctor in queryset:
                services.doctor_verify(
                    doctor=doctor, by=request.user, approve=approve, reason=form.cleaned_data["reason"]
                )
            count = queryset.count()
            message = (
                ngettext("%(count)d doctor approved and notified.", "%(count)d doctors approved and notified.", count)
                if approve
                else ngettext(
                    "%(count)d doctor rejected and notified.", "%(count)d doctors rejected and notified.", count
                )
            )
            self.message_user(request, message % {"count": count}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Confirm verification decision"),
            "doctors": queryset.select_related("user"),
            "form": form,
            "approve": approve,
            "action": "approve_doctors" if approve else "reject_doctors",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/doctors/verify_confirm.html", context)

    @admin.action(permissions=["change"], description=_("Approve selected doctors (notifies them)"))
    def approve_doctors(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(permissions=["change"], description=_("Reject selected doctors (notifies them, reason required)"))
    def reject_doctors(self, request, queryset):
        return self._decide(request, queryset, approve=False)


class RecentReviewFilter(admin.SimpleListFilter):
    title = _("posted")
    parameter_name = "posted"

    def lookups(self, request, model_admin):
        return (("7d", _("Last 7 days")), ("30d", _("Last 30 days")))

    def queryset(self, request, queryset):
        days = {"7d": 7, "30d": 30}.get(self.value())
        if days:
            return queryset.filter(created_at__gte=timezone.now() - timedelta(days=days))
        return queryset


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Moderation queue: the most recent reviews first, the lowest ratings first within a day.
    Reviews are hidden, never deleted (the rating and the sync log follow the hide service)."""

    clinic_scope = "doctor__clinic"

    list_display = ("created_at", "rating", "doctor", "patient", "short_comment", "is_hidden", "replied_at")
    list_filter = ("is_hidden", "rating", RecentReviewFilter)
    search_fields = ("comment", "doctor__user__last_name", "doctor__user__email", "patient__email")
    list_select_related = ("doctor__user", "patient")
    readonly_fields = (
        "appointment",
        "doctor",
        "patient",
        "rating",
        "comment",
        "doctor_reply",
        "replied_at",
        "is_hidden",
        "created_at",
    )
    fields = readonly_fields
    actions = ("hide_reviews", "unhide_reviews")
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at__date", "rating", "-created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("comment"))
    def short_comment(self, obj):
        return (obj.comment[:80] + "...") if len(obj.comment) > 80 else obj.comment

    @admin.action(
        permissions=["change"], description=_("Hide selected reviews (removed from the public list and the rating)")
    )
    def hide_reviews(self, request, queryset):
        for review in queryset.select_related("doctor"):
            services.review_set_hidden(review=review, hidden=True, by=request.user)
        self.message_user(request, _("Reviews hidden."), messages.SUCCESS)

    @admin.action(permissions=["change"], description=_("Show selected reviews again"))
    def unhide_reviews(self, request, queryset):
        for review in queryset.select_related("doctor"):
            services.review_set_hidden(review=review, hidden=False, by=request.user)
        self.message_user(request, _("Reviews shown again."), messages.SUCCESS)
