from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from clinics.selectors import PLATFORM, SUPPORT_REQUEST_SCOPE
from clinics.services import support_request_assign
from core.exceptions import ApplicationError
from support.forms import SupportReplyForm
from support.models import FaqEntry, Policy, PolicyAcceptance, SupportRequest, SupportStatus
from support.services import policy_publish, support_request_close, support_request_reply


@admin.register(FaqEntry)
class FaqEntryAdmin(TranslationAdmin):
    clinic_scope = PLATFORM

    list_display = ("question", "category", "position", "is_published")
    list_editable = ("position", "is_published")
    list_filter = ("category", "is_published")
    search_fields = ("question_en", "question_fr", "answer_en", "answer_fr")


@admin.register(Policy)
class PolicyAdmin(TranslationAdmin):
    """Versions are edited in both languages, then published with the action (which withdraws the
    previous version in the same transaction)."""

    clinic_scope = PLATFORM

    list_display = ("slug", "version", "title", "is_published", "published_at")
    list_filter = ("slug", "is_published")
    readonly_fields = ("is_published", "published_at")
    actions = ["publish"]

    @admin.action(permissions=["change"], description=_("Publish the selected version"))
    def publish(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to publish."), messages.ERROR)
            return
        try:
            policy = policy_publish(policy=queryset.get(), by=request.user)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(request, _("%(policy)s is now published.") % {"policy": policy}, messages.SUCCESS)


@admin.register(PolicyAcceptance)
class PolicyAcceptanceAdmin(admin.ModelAdmin):
    clinic_scope = PLATFORM

    list_display = ("user", "policy", "accepted_at")
    list_filter = ("policy__slug",)
    search_fields = ("user__email",)
    list_select_related = ("user", "policy")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return (("me", _("Me")), ("nobody", _("Nobody")))

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    """The support queue: open requests first, oldest first, with their age and who handles them.
    Replies go through the reply page; a staff member takes a request with "Assign to me"."""

    clinic_scope = SUPPORT_REQUEST_SCOPE

    list_display = ("subject", "status", "age", "assigned_to", "requester", "category", "replied_by", "reply_link")
    list_filter = ("status", AssigneeFilter, "category")
    search_fields = ("subject", "requester__email")
    list_select_related = ("requester", "replied_by", "assignee")
    date_hierarchy = "created_at"
    readonly_fields = (
        "requester",
        "subject",
        "message",
        "category",
        "appointment",
        "status",
        "assignee",
        "staff_reply",
        "replied_at",
        "replied_by",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    actions = ["assign_to_me", "close"]

    def get_queryset(self, request):
        open_first = Case(When(status=SupportStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
        # Not super(): it orders by get_ordering() before the annotation exists.
        return self.model._default_manager.annotate(open_first=open_first).order_by("open_first", "created_at")

    def get_ordering(self, request):
        return ("open_first", "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Requests are closed, not deleted: a deletion would bypass the services (and the sync log).
        return False

    def get_urls(self):
        custom = [
            path("<uuid:pk>/reply/", self.admin_site.admin_view(self.reply_view), name="support_supportrequest_reply"),
        ]
        return custom + super().get_urls()

    @admin.display(description=_("waiting for"), ordering="created_at")
    def age(self, obj: SupportRequest) -> str:
        if obj.status == SupportStatus.CLOSED:
            return "-"
        return timesince(obj.created_at)

    @admin.display(description=_("assignee"), ordering="assignee__last_name")
    def assigned_to(self, obj: SupportRequest) -> str:
        if obj.assignee is None:
            return "-"
        return obj.assignee.full_name

    @admin.display(description=_("Reply"))
    def reply_link(self, obj: SupportRequest):
        if obj.status == SupportStatus.CLOSED:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:support_supportrequest_reply", args=[obj.pk]), _("Reply")
        )

    def reply_view(self, request, pk):
        support_request = get_object_or_404(SupportRequest.objects.select_related("requester"), pk=pk)
        if not self.has_change_permission(request, support_request):
            raise PermissionDenied
        form = SupportReplyForm(request.POST or None, initial={"reply": support_request.staff_reply})
        if request.method == "POST" and form.is_valid():
            try:
                support_request_reply(request=support_request, by=request.user, reply=form.cleaned_data["reply"])
            except ApplicationError as error:
                form.add_error("reply", error.message)
            else:
                self.message_user(
                    request,
                    _("Reply sent to %(email)s.") % {"email": support_request.requester.email},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:support_supportrequest_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Reply to “%(subject)s”") % {"subject": support_request.subject},
            "support_request": support_request,
            "form": form,
        }
        return TemplateResponse(request, "admin/support/supportrequest/reply.html", context)

    @admin.action(permissions=["change"], description=_("Close the selected requests"))
    def close(self, request, queryset):
        for support_request in queryset:
            support_request_close(request=support_request, by=request.user)
        self.message_user(request, _("Requests closed."), messages.SUCCESS)

    @admin.action(permissions=["change"], description=_("Assign to me"))
    def assign_to_me(self, request, queryset):
        assigned = 0
        for support_request in queryset:
            try:
                support_request_assign(support_request=support_request, assignee=request.user, by=request.user)
            except ApplicationError as error:
                self.message_user(request, f"{support_request}: {error.message}", messages.ERROR)
            else:
                assigned += 1
        if assigned:
            message = ngettext(
                "%(count)d request assigned to you.", "%(count)d requests assigned to you.", assigned
            ) % {"count": assigned}
            self.message_user(request, message, messages.SUCCESS)
