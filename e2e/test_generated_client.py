"""A Python client generated from the committed schema (docs/openapi.yaml) drives the live stack.

What the mobile teams do: generate a client with openapi-python-client, then log in, search, page,
read availability, book, hit a typed conflict, download the ICS and the receipt, refresh, log out.
Every answer is parsed by the generated models: a schema that lies fails here.
"""

import importlib
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Correct-Horse-42-battery"


@pytest.fixture(scope="module")
def tabib(tmp_path_factory):
    """The generated package `tabib_client`, imported."""
    out = tmp_path_factory.mktemp("client")
    subprocess.run(
        [
            Path(sys.executable).with_name("openapi-python-client"),
            "generate",
            "--path",
            ROOT / "docs" / "openapi.yaml",
            "--config",
            ROOT / "docs" / "openapi-python-client.yaml",
            "--meta",
            "none",
            "--output-path",
            out / "tabib_client",
        ],
        check=True,
        capture_output=True,
    )
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("tabib_client")
    finally:
        sys.path.remove(str(out))


def api(tabib, name: str):
    return importlib.import_module(f"tabib_client.api.{name}")


def models(tabib):
    return importlib.import_module("tabib_client.models")


def client_for(tabib, stack, token: str = ""):
    # The schema's paths carry /api/v1: the base URL is the server's root.
    if not token:
        return tabib.Client(base_url=stack.http, raise_on_unexpected_status=True)
    return tabib.AuthenticatedClient(base_url=stack.http, token=token, raise_on_unexpected_status=True)


def register(tabib, stack, *, role: str, last_name: str):
    m = models(tabib)
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    answer = api(tabib, "auth.auth_register_create").sync_detailed(
        client=client_for(tabib, stack),
        body=m.RegisterRequest(
            email=email,
            password=PASSWORD,
            role=m.RegistrationRoleEnum(role),
            first_name="Gen",
            last_name=last_name,
        ),
    )
    assert answer.status_code == 201, answer.content
    return email, answer.parsed


def doctor_ready(tabib, stack, *, city: str, fee: int) -> str:
    """A verified doctor open every day (UTC) taking clinic payments; returns the doctor's id."""
    m = models(tabib)
    email, registered = register(tabib, stack, role="doctor", last_name=f"Gen{uuid.uuid4().hex[:6]}")
    doctor = client_for(tabib, stack, registered.access)
    profile = api(tabib, "doctors.doctors_me_profile_partial_update").sync_detailed(
        client=doctor,
        body=m.PatchedDoctorProfileInputRequest(
            title="Dr",
            clinic_name="Generated Clinic",
            clinic_address="1 rue du Client",
            city=city,
            country="FR",
            fee=m.MoneyRequest(amount=fee, currency=m.CurrencyEnum.EUR),
            languages=["en", "fr"],
            timezone="UTC",
            slot_minutes=30,
            accepts_payment_methods=[m.PaymentMethodEnum.CLINIC],
        ),
    )
    assert profile.status_code == 200, profile.content
    rules = [m.AvailabilityRuleRequest(weekday=day, start_time="00:00", end_time="23:30") for day in m.WeekdayEnum]
    assert (
        api(tabib, "doctors.doctors_me_availability_update").sync_detailed(client=doctor, body=rules).status_code == 200
    )
    stack.manage("verify_doctor", email)
    return str(profile.parsed.id), registered.access


def test_a_generated_client_books_hits_a_typed_conflict_and_downloads_binaries(stack, tabib):
    m = models(tabib)
    city = f"Gen{uuid.uuid4().hex[:8]}"
    doctor_id, doctor_access = doctor_ready(tabib, stack, city=city, fee=4000)
    doctor_ready(tabib, stack, city=city, fee=6000)
    email, _registered = register(tabib, stack, role="patient", last_name="Patient")

    # log in
    login = api(tabib, "auth.auth_login_create").sync_detailed(
        client=client_for(tabib, stack), body=m.LoginRequest(email=email, password=PASSWORD)
    )
    assert login.status_code == 200 and isinstance(login.parsed, m.AuthResult)
    patient = client_for(tabib, stack, login.parsed.access)

    # search with filters, paging through the results one card per page
    search = api(tabib, "doctors.doctors_list")
    seen, page = [], 1
    while True:
        answer = search.sync_detailed(
            client=patient, city=city, max_fee=10000, ordering=m.DoctorsListOrdering.FEE, page=page, page_size=1
        )
        assert answer.status_code == 200 and isinstance(answer.parsed, m.PaginatedDoctorCardList)
        seen += [card.fee.amount for card in answer.parsed.results]
        if not answer.parsed.next_:
            break
        page += 1
    assert (answer.parsed.count, seen) == (2, [4000, 6000])

    # availability
    start = date.today() + timedelta(days=1)
    availability = api(tabib, "doctors.doctors_availability_retrieve").sync_detailed(
        id=uuid.UUID(doctor_id), client=patient, from_=start, to=start + timedelta(days=6)
    )
    assert availability.status_code == 200 and isinstance(availability.parsed, m.Availability)
    slot = next(slot for day in availability.parsed.days for slot in day.slots)

    # book, then book the same slot again: a typed 409 with the code slot_unavailable
    book = api(tabib, "appointments.appointments_create")
    body = m.AppointmentBookRequest(
        doctor_id=uuid.UUID(doctor_id), start=slot.start, payment_method=m.PaymentMethodEnum.CLINIC
    )
    booked = book.sync_detailed(client=patient, body=body)
    assert booked.status_code == 201 and isinstance(booked.parsed, m.Appointment), booked.content
    again = book.sync_detailed(client=patient, body=body)
    assert again.status_code == 409 and isinstance(again.parsed, m.AppointmentsCreate409Error)
    assert again.parsed.errors[0].code == m.AppointmentsCreate409ErrorItemCode.SLOT_UNAVAILABLE

    # the paginated list of my appointments
    mine = api(tabib, "appointments.appointments_list").sync_detailed(client=patient, page_size=1)
    assert isinstance(mine.parsed, m.PaginatedAppointmentList) and mine.parsed.count == 1

    # ICS bytes
    ics = api(tabib, "appointments.appointments_ics_retrieve").sync_detailed(id=booked.parsed.id, client=patient)
    assert ics.status_code == 200 and ics.parsed.payload.read().startswith(b"BEGIN:VCALENDAR")

    # the doctor records the payment at the desk; the patient downloads the PDF receipt
    paid = api(tabib, "payments.appointments_mark_paid_create").sync_detailed(
        id=booked.parsed.id, client=client_for(tabib, stack, doctor_access)
    )
    assert paid.status_code == 200 and isinstance(paid.parsed, m.PaymentDetailOutput), paid.content
    receipt = api(tabib, "payments.payments_receipt_retrieve").sync_detailed(id=paid.parsed.id, client=patient)
    assert receipt.status_code == 200 and receipt.parsed.payload.read().startswith(b"%PDF")

    # refresh rotates; logout revokes
    refreshed = api(tabib, "auth.auth_refresh_create").sync_detailed(
        client=client_for(tabib, stack), body=m.RefreshRequest(refresh=login.parsed.refresh)
    )
    assert refreshed.status_code == 200 and isinstance(refreshed.parsed, m.TokenPair)
    logout = api(tabib, "auth.auth_logout_create")
    assert (
        logout.sync_detailed(
            client=client_for(tabib, stack), body=m.RefreshRequest(refresh=refreshed.parsed.refresh)
        ).status_code
        == 204
    )
    reused = api(tabib, "auth.auth_refresh_create").sync_detailed(
        client=client_for(tabib, stack), body=m.RefreshRequest(refresh=refreshed.parsed.refresh)
    )
    assert reused.status_code == 401 and isinstance(reused.parsed, m.Api401Error)
