from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from clinics.exports import CsvExportAdmin
from core.exceptions import ApplicationError
from payments import selectors, services
from payments.models import Payment, PaymentEvent
from payments.receipts import money_display


class RefundForm(forms.Form):
    amount = forms.IntegerField(
        label=_("Amount (minor units)"),
        min_value=1,
        required=False,
        help_text=_("Leave empty to refund everything that is left."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=400)


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "source", "stripe_event_id", "actor", "amount", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(CsvExportAdmin):
    clinic_scope = "appointment__doctor__clinic"

    list_display = [
        "receipt_number",
        "appointment",
        "method",
        "status",
        "amount_text",
        "refunded_text",
        "paid_at",
        "created_at",
    ]
    csv_columns = (
        (_("receipt number"), lambda p: p.receipt_number or ""),
        (_("paid at"), lambda p: p.paid_at.isoformat() if p.paid_at else ""),
        (_("clinic"), lambda p: p.appointment.doctor.clinic.name if p.appointment.doctor.clinic else ""),
        (_("doctor"), lambda p: str(p.appointment.doctor)),
        (_("patient"), lambda p: p.appointment.patient.email),
        (_("method"), lambda p: p.method),
        (_("status"), lambda p: p.status),
        (_("amount"), lambda p: f"{p.amount / 100:.2f}"),
        (_("amount refunded"), lambda p: f"{p.amount_refunded / 100:.2f}"),
        (_("currency"), lambda p: p.currency),
    )
    list_filter = [
        "status",
        "method",
        "provider",
        ("appointment__doctor__clinic", admin.RelatedOnlyFieldListFilter),
        ("appointment__doctor", admin.RelatedOnlyFieldListFilter),
        ("paid_at", admin.DateFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = [
        "receipt_number",
        "provider_payment_id",
        "appointment__patient__email",
        "appointment__doctor__user__email",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["appointment__doctor__user", "appointment__doctor__clinic", "appointment__patient"]
    readonly_fields = [
        "appointment",
        "method",
        "provider",
        "provider_payment_id",
        "amount",
        "currency",
        "status",
        "amount_refunded",
        "receipt_number",
        "paid_at",
        "receipt_emailed_at",
        "stripe_payment_intent",
        "stripe_charge",
        "created_at",
        "updated_at",
    ]
    inlines = [PaymentEventInline]
    actions = ["refund_payments"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("amount"), ordering="amount")
    def amount_text(self, obj: Payment) -> str:
        return money_display(obj.amount, obj.currency)

    @admin.display(description=_("refunded"), ordering="amount_refunded")
    def refunded_text(self, obj: Payment) -> str:
        return money_display(obj.amount_refunded, obj.currency) if obj.amount_refunded else "-"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(permissions=["change"], description=_("Refund selected payments (full or partial, with a reason)"))
    def refund_payments(self, request, queryset):
        form = RefundForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for payment in queryset:
                try:
                    services.payment_refund(
                        payment=payment,
                        amount=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        by=request.user,
                    )
                except ApplicationError as error:
                    self.message_user(request, f"{payment}: {error.message}", messages.ERROR)
                else:
                    self.message_user(request, _("Refunded %(payment)s.") % {"payment": payment}, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/payments/payment/refund.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "payments": queryset,
                "title": _("Refund payments"),
                "opts": self.model._meta,
            },
        )

    def get_urls(self):
        return [
            path(
                "reconciliation/",
                self.admin_site.admin_view(self.reconciliation_view),
                name="payments_payment_reconciliation",
            ),
            *super().get_urls(),
        ]

    def reconciliation_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/payments/payment/reconciliation.html",
            {
                **self.admin_site.each_context(request),
                "mismatches": selectors.payment_reconciliation_mismatches(),
                "title": _("Reconciliation with Stripe"),
                "opts": self.model._meta,
            },
        )
