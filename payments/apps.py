from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from payments import checks, receipts, stripe_client, webhooks  # noqa: F401  (checks registers system checks; receipts its email builder)

        stripe_client.configure()
        webhooks.connect()
