"""A new patient, from registration to a paid appointment's receipt, against the real stack."""

import asyncio

from clients import api, card_pay_for, doctor_create, expect, free_slots, next_frame, patient_register, socket


def test_register_search_book_pay_then_both_sides_are_notified_and_the_receipt_is_a_pdf(stack):
    # given a verified doctor, and a patient who registered and verified their email from the link
    doctor = doctor_create(stack, fee=6500, city="Grenoble")
    patient = patient_register(stack)

    # when the patient finds the doctor and a free slot
    with api(stack.http) as anonymous:
        found = expect(
            anonymous.get("/doctors", params={"city": "Grenoble", "q": doctor_last_name(stack, doctor)}), 200
        )
    assert [card["id"] for card in found["results"]] == [doctor.doctor_id]
    slot = free_slots(stack, doctor.doctor_id)[0]

    async def journey():
        # both sides have the app open: their notification sockets on different Daphne processes
        async with (
            socket(f"{stack.ws}/ws/notifications?token={patient.access}") as patient_socket,
            socket(f"{stack.ws_b}/ws/notifications?token={doctor.access}") as doctor_socket,
        ):
            with api(stack.http, patient) as client:
                booked = expect(
                    client.post(
                        "/appointments",
                        json={"doctor_id": doctor.doctor_id, "start": slot["start"], "payment_method": "card"},
                    ),
                    201,
                )
            assert booked["status"] == "pending_payment"
            # the patient pays on the Stripe stand-in; its signed webhook reaches dj-stripe's view
            intent = card_pay_for(stack, patient, booked["id"])
            patient_frame = await next_frame(patient_socket, "notification", timeout=30, where=payment_succeeded)
            doctor_frame = await next_frame(doctor_socket, "notification", timeout=30, where=payment_succeeded)
            return booked, intent, patient_frame, doctor_frame

    booked, intent, patient_frame, doctor_frame = asyncio.run(journey())

    # then the appointment is confirmed and the payment succeeded
    with api(stack.http, patient) as client:
        appointment = expect(client.get(f"/appointments/{booked['id']}"), 200)
        assert appointment["status"] == "confirmed"
        payment = expect(client.get(f"/payments/{intent['payment_id']}"), 200)
        assert (payment["status"], payment["amount"], payment["currency"]) == ("succeeded", 6500, "EUR")
        assert payment["receipt_number"]
        # and the receipt is a PDF
        receipt = client.get(f"/payments/{intent['payment_id']}/receipt")
    assert receipt.status_code == 200
    assert receipt.headers["content-type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF-")
    # both sides were told live, and by email
    assert patient_frame["notification"]["data"]["appointment_id"] == booked["id"]
    assert doctor_frame["notification"]["data"]["appointment_id"] == booked["id"]
    stack.mailbox.wait_for(patient.email, subject_contains=payment["receipt_number"])
    stack.mailbox.wait_for(doctor.email, subject_contains="Payment received")


def payment_succeeded(frame: dict) -> bool:
    return frame["notification"]["type"] == "payment" and "appointment_id" in frame["notification"]["data"]


def doctor_last_name(stack, doctor) -> str:
    with api(stack.http, doctor) as client:
        return expect(client.get("/users/me"), 200)["last_name"]
