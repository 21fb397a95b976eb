"""A patient waiting for a doctor gets the slot another patient cancels, live on their socket, and
pays for it by card."""

import asyncio

from clients import api, book, card_pay_for, doctor_create, expect, next_frame, patient_register, socket


def _waitlist_offer(frame: dict) -> bool:
    return "waitlist_entry_id" in frame["notification"]["data"]


def _payment(frame: dict) -> bool:
    return frame["notification"]["type"] == "payment"


def test_a_cancelled_slot_is_offered_live_to_the_first_in_line_who_accepts_and_pays_by_card(stack):
    # given a doctor with a slot booked days ahead, and two patients waiting for that day
    doctor, booker = doctor_create(stack), patient_register(stack)
    first, second = patient_register(stack, first_name="First"), patient_register(stack, first_name="Second")
    booked = book(stack, booker, doctor, payment_method="clinic", slot_index=-1)
    day = booked["start"][:10]
    entries = []
    for patient in (first, second):
        with api(stack.http, patient) as client:
            joined = client.post(
                "/waitlist", json={"doctor_id": doctor.doctor_id, "earliest_date": day, "latest_date": day}
            )
            entries.append(expect(joined, 201))
    assert [entry["position"] for entry in entries] == [1, 2]

    async def journey():
        # the first in line has the app open (a token socket, no Origin header, on the other process)
        async with socket(f"{stack.ws_b}/ws/notifications?token={first.access}") as notifications:
            # when the booker cancels
            with api(stack.http, booker) as client:
                expect(client.post(f"/appointments/{booked['id']}/cancel", json={"reason": "cannot come"}), 200)
            offer = await next_frame(notifications, "notification", timeout=30, where=_waitlist_offer)
            # then they accept it by card and pay on the Stripe stand-in
            with api(stack.http, first) as client:
                accepted = expect(
                    client.post(f"/waitlist/{entries[0]['id']}/accept", json={"payment_method": "card"}), 201
                )
            intent = card_pay_for(stack, first, accepted["id"])
            paid = await next_frame(notifications, "notification", timeout=30, where=_payment)
            return offer, accepted, intent, paid

    offer, accepted, intent, paid = asyncio.run(journey())

    assert offer["notification"]["data"]["waitlist_entry_id"] == entries[0]["id"]
    assert offer["notification"]["data"]["start"][:16] == booked["start"][:16]
    assert (accepted["start"], accepted["status"]) == (booked["start"], "pending_payment")
    assert paid["notification"]["data"]["appointment_id"] == accepted["id"]
    with api(stack.http, first) as client:
        assert expect(client.get(f"/appointments/{accepted['id']}"), 200)["status"] == "confirmed"
        assert expect(client.get(f"/payments/{intent['payment_id']}"), 200)["status"] == "succeeded"
        mine = expect(client.get("/waitlist"), 200)["results"]
    assert [(entry["id"], entry["status"]) for entry in mine] == [(entries[0]["id"], "booked")]
    # and the second in line was offered nothing
    with api(stack.http, second) as client:
        theirs = expect(client.get("/waitlist"), 200)["results"]
    assert [(entry["status"], entry["offer"]) for entry in theirs] == [("waiting", None)]
    stack.mailbox.wait_for(first.email, subject_contains="slot opened up")
