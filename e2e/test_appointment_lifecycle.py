"""Cancel -> refund, reschedule, and a declined card, through the API and the Stripe stand-in."""

import asyncio

import httpx

from clients import api, book, card_pay_for, doctor_create, expect, free_slots, next_frame, patient_register, socket


def _about_payment(frame: dict) -> bool:
    return frame["notification"]["type"] == "payment"


def _stripe_charge(stack, intent_id: str) -> dict:
    """The intent's charge as Stripe (localstripe) holds it."""
    headers = {"Authorization": f"Bearer {stack.env['STRIPE_SECRET_KEY']}"}
    with httpx.Client(base_url=f"{stack.stripe_url}/v1", headers=headers, timeout=30) as stripe:
        intent = stripe.get(f"/payment_intents/{intent_id}").json()
        charge = intent.get("latest_charge") or intent["charges"]["data"][0]
        return stripe.get(f"/charges/{charge if isinstance(charge, str) else charge['id']}").json()


def _paid_appointment(stack, patient, doctor) -> tuple[dict, dict]:
    booked = book(stack, patient, doctor, payment_method="card", slot_index=-1)  # days ahead: refundable

    async def pay():
        async with socket(f"{stack.ws}/ws/notifications?token={patient.access}") as notifications:
            intent = card_pay_for(stack, patient, booked["id"])
            await next_frame(
                notifications, "notification", timeout=30, where=lambda f: f["notification"]["type"] == "payment"
            )
            return intent

    return booked, asyncio.run(pay())


def test_a_patient_cancelling_a_paid_visit_in_time_is_refunded_in_full_on_stripe(stack):
    # given a paid appointment days ahead
    doctor, patient = doctor_create(stack), patient_register(stack)
    booked, intent = _paid_appointment(stack, patient, doctor)
    # when the patient cancels it
    with api(stack.http, patient) as client:
        cancelled = expect(client.post(f"/appointments/{booked['id']}/cancel", json={"reason": "better now"}), 200)
        payment = expect(client.get(f"/payments/{intent['payment_id']}"), 200)
    # then the appointment is cancelled, the payment refunded, and Stripe holds the refund
    assert cancelled["status"] == "cancelled"
    assert payment["status"] == "refunded"
    charge = _stripe_charge(stack, payment["provider_payment_id"])
    assert charge["amount_refunded"] == payment["amount"]
    # and the slot is free again for anyone
    assert booked["start"] in [slot["start"] for slot in free_slots(stack, doctor.doctor_id)]


def test_a_patient_reschedules_to_another_free_slot_and_the_old_one_frees(stack):
    # given a confirmed appointment (paid at the clinic) days ahead, before the cancellation cut-off
    doctor, patient = doctor_create(stack), patient_register(stack)
    booked = book(stack, patient, doctor, payment_method="clinic", slot_index=-1)
    target = free_slots(stack, doctor.doctor_id)[-3]["start"]
    # when the patient moves it, through the other Daphne process
    with api(stack.http_b, patient) as client:
        moved = expect(client.patch(f"/appointments/{booked['id']}", json={"start": target}), 200)
    # then it is at the new time, still confirmed, and the old slot is offered again
    assert (moved["start"], moved["status"]) == (target, "confirmed")
    slots = [slot["start"] for slot in free_slots(stack, doctor.doctor_id)]
    assert booked["start"] in slots and target not in slots
    stack.mailbox.wait_for(doctor.email, subject_contains="rescheduled")


def test_a_declined_card_never_confirms_the_appointment(stack):
    # given a held slot
    doctor, patient = doctor_create(stack), patient_register(stack)
    booked = book(stack, patient, doctor, payment_method="card")

    async def pay_with_a_declined_card():
        async with socket(f"{stack.ws}/ws/notifications?token={patient.access}") as notifications:
            # localstripe's test card that attaches but is declined when charged
            intent = card_pay_for(stack, patient, booked["id"], card_number="4000000000000341")
            frame = await next_frame(
                notifications, "notification", timeout=30, where=lambda f: f["notification"]["type"] == "payment"
            )
            return intent, frame

    # when the card is declined and Stripe's payment_failed webhook arrives
    intent, frame = asyncio.run(pay_with_a_declined_card())
    # then the payment failed, and the appointment never became confirmed
    with api(stack.http, patient) as client:
        payment = expect(client.get(f"/payments/{intent['payment_id']}"), 200)
        appointment = expect(client.get(f"/appointments/{booked['id']}"), 200)
    assert payment["status"] == "failed"
    assert appointment["status"] != "confirmed"
    assert frame["notification"]["data"]["payment_id"] == intent["payment_id"]
