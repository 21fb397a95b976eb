from django.core.management.base import BaseCommand, CommandError

from doctors.models import DoctorProfile
from doctors.services import doctor_verify


class Command(BaseCommand):
    help = "Approve (default) or reject a doctor by email; the doctor is notified."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--reject", action="store_true", help="Reject instead of approving.")
        parser.add_argument("--reason", default="", help="Reason sent to the doctor (required with --reject).")

    def handle(self, *args, email: str, reject: bool, reason: str, **options):
        doctor = DoctorProfile.objects.select_related("user").filter(user__email__iexact=email.strip()).first()
        if doctor is None:
            raise CommandError(f"No doctor with email {email}.")
        if reject and not reason.strip():
            raise CommandError("--reason is required with --reject.")
        doctor = doctor_verify(doctor=doctor, by=None, approve=not reject, reason=reason)
        self.stdout.write(self.style.SUCCESS(f"{doctor.user.email}: {doctor.verification_status}"))
