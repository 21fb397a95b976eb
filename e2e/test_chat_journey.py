"""Chat between a patient on Daphne A and a doctor on Daphne B, over the Redis channel layer."""

import asyncio
import json

from clients import api, book, doctor_create, expect, next_frame, patient_register, socket


def test_chat_across_two_daphne_processes_with_ack_delivery_read_typing_and_rest(stack):
    # given a patient with a confirmed visit, and the thread they open with the doctor
    doctor = doctor_create(stack)
    patient = patient_register(stack)
    book(stack, patient, doctor, payment_method="clinic")
    with api(stack.http, patient) as client:
        thread = expect(client.post("/chat/threads", json={"doctor_id": doctor.doctor_id}), 201)
    path = f"/ws/chat/{thread['id']}"

    async def conversation():
        async with (
            socket(f"{stack.ws}{path}?token={patient.access}") as patient_socket,
            socket(f"{stack.ws_b}{path}?token={doctor.access}") as doctor_socket,
        ):
            # when the patient sends a message on A
            await patient_socket.send(json.dumps({"type": "message", "body": "Bonjour docteur", "client_id": "c-1"}))
            ack = await next_frame(patient_socket, "ack")
            delivered = await next_frame(doctor_socket, "message")
            # the doctor reads it and starts typing on B
            await doctor_socket.send(json.dumps({"type": "read", "up_to": ack["message_id"]}))
            receipt = await next_frame(patient_socket, "read")
            await doctor_socket.send(json.dumps({"type": "typing"}))
            typing = await next_frame(patient_socket, "typing")
            # and answers over REST (the app's fallback): the open socket on A gets it too
            with api(stack.http_b, doctor) as client:
                sent = expect(
                    client.post(
                        f"/chat/threads/{thread['id']}/messages", json={"body": "Bonjour, entrez", "client_id": "d-1"}
                    ),
                    201,
                )
            over_rest = await next_frame(patient_socket, "message", where=lambda f: f["message"]["id"] == sent["id"])
            return ack, delivered, receipt, typing, over_rest

    ack, delivered, receipt, typing, over_rest = asyncio.run(conversation())

    # then each side saw what the contract says, in order
    assert ack["client_id"] == "c-1"
    assert delivered["message"]["id"] == ack["message_id"]
    assert delivered["message"]["body"] == "Bonjour docteur"
    assert delivered["message"]["sender_id"] == patient.user_id
    assert (receipt["reader_id"], receipt["up_to"]) == (doctor.user_id, ack["message_id"])
    assert receipt["read_at"]
    assert typing["user_id"] == doctor.user_id
    assert over_rest["message"]["body"] == "Bonjour, entrez"
    # the history agrees, and the bodies are not stored in clear
    with api(stack.http, patient) as client:
        history = expect(client.get(f"/chat/threads/{thread['id']}/messages"), 200)["results"]
    assert [m["body"] for m in history] == ["Bonjour, entrez", "Bonjour docteur"]
    stored = stack.psql(f"SELECT body FROM chat_message WHERE thread_id = '{thread['id']}'").splitlines()
    assert len(stored) == 2
    assert not any("Bonjour" in body for body in stored)
