"""Demo clinics: two practices sharing the verified doctors, each with a staff account (a "Clinic
staff" group of permissions), and support requests about their appointments in the queue (the oldest
assigned to the clinic's staff member)."""

from django.contrib.auth.models import Group, Permission

from accounts.demo import demo_user
from accounts.models import Role
from appointments.models import Appointment
from clinics import services
from clinics.models import Clinic
from core.demo import DEMO_PASSWORD
from doctors.models import DoctorProfile, VerificationStatus
from support.models import SupportCategory, SupportRequest
from support.services import support_request_create

CLINICS = [
    ("Clinique Saint-Louis", "12 rue de Rivoli", "Paris", "staff.saintlouis@demo.tabib.local", "Sophie", "Martin"),
    ("Centre Médical Bellecour", "3 place Bellecour", "Lyon", "staff.bellecour@demo.tabib.local", "Karim", "Haddad"),
]

# What clinic staff do: the front desk's pages, scoped to their clinics by the admin itself.
STAFF_PERMISSIONS = [
    "appointments.view_appointment",
    "appointments.add_appointment",
    "appointments.change_appointment",
    "appointments.view_availabilityrule",
    "appointments.add_availabilityrule",
    "appointments.change_availabilityrule",
    "appointments.delete_availabilityrule",
    "appointments.view_timeoff",
    "appointments.add_timeoff",
    "appointments.delete_timeoff",
    "accounts.view_user",
    "accounts.view_patientprofile",
    "clinics.view_clinic",
    "doctors.view_doctorprofile",
    "doctors.change_doctorprofile",
    "doctors.view_review",
    "doctors.change_review",
    "doctors.view_specialty",
    "payments.view_payment",
    "payments.add_payment",
    "payments.change_payment",
    "support.view_supportrequest",
    "support.change_supportrequest",
]

REQUESTS = [
    ("Invoice for my last visit", "Could you send me an invoice with my address on it?", SupportCategory.PAYMENT),
    ("Wheelchair access", "Is the practice accessible with a wheelchair?", SupportCategory.OTHER),
]


def _staff_group() -> Group:
    group, _created = Group.objects.get_or_create(name="Clinic staff")
    wanted = []
    for label in STAFF_PERMISSIONS:
        app_label, codename = label.split(".")
        wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    group.permissions.set(wanted)
    return group


def seed(out) -> None:
    group = _staff_group()
    admin = demo_user(email="admin@demo.tabib.local", first_name="Ada", last_name="Admin", role=Role.ADMIN)
    doctors = list(
        DoctorProfile.objects.filter(verification_status=VerificationStatus.VERIFIED)
        .select_related("user")
        .order_by("user__email")
    )
    halves = [doctors[::2], doctors[1::2]]  # the first (the showcase practice) goes to the first clinic
    for (name, address, city, email, first, last), clinic_doctors in zip(CLINICS, halves, strict=True):
        clinic = Clinic.objects.filter(name=name, city=city).first() or services.clinic_create(
            data={"name": name, "address": address, "city": city, "country": "FR", "phone": "+33 1 23 45 67 89"},
            by=admin,
        )
        staff = demo_user(email=email, first_name=first, last_name=last, role=Role.ADMIN, is_staff=True)
        staff.groups.add(group)
        if not clinic.staff.filter(pk=staff.pk).exists():
            services.clinic_staff_set(clinic=clinic, staff=[*clinic.staff.all(), staff], by=admin)
        for doctor in clinic_doctors:
            if doctor.clinic_id != clinic.pk:
                services.clinic_doctor_assign(clinic=clinic, doctor=doctor, by=admin)
        appointments = Appointment.objects.filter(doctor__clinic=clinic).select_related("patient").order_by("start")
        for (subject, message, category), appointment in zip(REQUESTS, appointments, strict=False):
            if not SupportRequest.objects.filter(subject=subject, appointment__doctor__clinic=clinic).exists():
                support_request_create(
                    requester=appointment.patient,
                    subject=subject,
                    message=message,
                    category=category,
                    appointment_id=appointment.pk,
                )
        queue = SupportRequest.objects.filter(appointment__doctor__clinic=clinic).order_by("created_at")
        if not queue.filter(assignee__isnull=False).exists() and (taken := queue.first()) is not None:
            services.support_request_assign(support_request=taken, assignee=staff, by=staff)  # one already taken
        out.write(f"  staff    {email} / {DEMO_PASSWORD}  (/admin/, {name}: {len(clinic_doctors)} doctors)")
