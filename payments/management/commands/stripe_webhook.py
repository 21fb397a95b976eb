from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from payments.services import webhook_endpoint_upsert


class Command(BaseCommand):
    help = "Create or update the local dj-stripe webhook endpoint (signature secret) and print its path."

    def add_arguments(self, parser):
        parser.add_argument(
            "--secret",
            default=settings.STRIPE_WEBHOOK_SECRET,
            help="The endpoint's signing secret (whsec_...); default: STRIPE_WEBHOOK_SECRET.",
        )
        parser.add_argument("--base-url", default="", help="Public origin, e.g. https://tabib.example.com")

    def handle(self, *args, secret: str, base_url: str, **options):
        if not secret.startswith("whsec_"):
            raise CommandError("The secret must start with whsec_ (pass --secret or set STRIPE_WEBHOOK_SECRET).")
        endpoint = webhook_endpoint_upsert(secret=secret, base_url=base_url)
        self.stdout.write(endpoint.url)
