"""Re-encrypt every encrypted field (chat bodies, appointment reasons...) with the newest key.

Rotate a key: prepend the new key to FIELD_ENCRYPTION_KEY (comma-separated, keep the old ones), deploy,
run this command, then drop the old keys.
"""

from django.apps import apps
from django.core.management.base import BaseCommand

from chat.services import encrypted_field_rotate
from core.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt every EncryptedTextField value with the first key of FIELD_ENCRYPTION_KEY."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedTextField):
                    count = encrypted_field_rotate(model=model, field_name=field.name, batch_size=batch_size)
                    self.stdout.write(f"{model._meta.label}.{field.name}: {count} re-encrypted")
