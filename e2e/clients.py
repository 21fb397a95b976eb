"""Helpers the e2e journeys share: accounts made the way a real client makes them, over the API.

`patient_register(stack)` registers, verifies the email with the key from the SMTP sink and logs
in; `doctor_create(stack)` registers a doctor, fills the profile and a weekly schedule over the
API, then has staff verify them with `manage.py verify_doctor`. Both return an `Account`.
"""

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
from websockets.asyncio.client import ClientConnection, connect

from stack import PASSWORD, Stack

API = "/api/v1"


@dataclass
class Account:
    email: str
    password: str
    user_id: str
    access: str
    refresh: str
    doctor_id: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


def api(base: str, account: Account | None = None, **kwargs) -> httpx.Client:
    """An HTTP client on `base`'s API, as `account` when given."""
    headers = {**(account.headers if account else {}), **kwargs.pop("headers", {})}
    return httpx.Client(base_url=base + API, headers=headers, timeout=30, **kwargs)


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@e2e.tabib.test"


def expect(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:2000]}"
    )
    return response.json() if response.content and "json" in response.headers.get("content-type", "") else {}


def login(stack: Stack, email: str, password: str = PASSWORD) -> Account:
    with api(stack.http) as client:
        body = expect(client.post("/auth/login", json={"email": email, "password": password}), 200)
    return Account(email, password, body["user"]["id"], body["access"], body["refresh"])


def _register(stack: Stack, *, role: str, email: str, first_name: str, last_name: str, locale: str) -> dict:
    payload = {
        "email": email,
        "password": PASSWORD,
        "role": role,
        "first_name": first_name,
        "last_name": last_name,
        "locale": locale,
    }
    with api(stack.http) as client:
        return expect(client.post("/auth/register", json=payload), 201)


def verification_key(stack: Stack, email: str) -> str:
    """The key in the verification email's link, as the app reads it from the email."""
    message = stack.mailbox.wait_for(email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"/verify-email\?key=([^\s]+)", text)
    assert match, f"no verification link in: {text}"
    return match.group(1)


def patient_register(stack: Stack, *, locale: str = "en", first_name: str = "Pat") -> Account:
    email = unique_email("patient")
    registered = _register(stack, role="patient", email=email, first_name=first_name, last_name="Ient", locale=locale)
    assert registered["user"]["email_verified"] is False
    with api(stack.http) as client:
        expect(client.post("/auth/email/verify", json={"key": verification_key(stack, email)}), 200)
    account = login(stack, email)
    with api(stack.http, account) as client:
        assert expect(client.get("/users/me"), 200)["email_verified"] is True
    return account


WEEKLY_HOURS = [{"weekday": day, "start_time": "00:00", "end_time": "23:30"} for day in range(7)]


def doctor_create(stack: Stack, *, fee: int = 5000, city: str = "Lyon", last_name: str = "") -> Account:
    """A verified doctor open every day (UTC), taking card and clinic payments."""
    email = unique_email("doctor")
    last_name = last_name or f"Doc{uuid.uuid4().hex[:6]}"
    _register(stack, role="doctor", email=email, first_name="Ada", last_name=last_name, locale="en")
    account = login(stack, email)
    with api(stack.http, account) as client:
        specialties = expect(client.get("/specialties"), 200)
        profile = {
            "title": "Dr",
            "bio": "General practice.",
            "clinic_name": "E2E Clinic",
            "clinic_address": "1 rue de la Paix",
            "city": city,
            "country": "FR",
            "fee": {"amount": fee, "currency": "EUR"},
            "languages": ["en", "fr"],
            "timezone": "UTC",
            "slot_minutes": 30,
            "accepts_payment_methods": ["card", "clinic"],
        }
        if specialties:
            profile["specialty_ids"] = [specialties[0]["id"]]
        body = expect(client.patch("/doctors/me/profile", json=profile), 200)
        account.doctor_id = body["id"]
        expect(client.put("/doctors/me/availability", json=WEEKLY_HOURS), 200)
    stack.manage("verify_doctor", email)
    return account


def free_slots(stack: Stack, doctor_id: str, *, days: int = 7, base: str = "") -> list[dict]:
    start = date.today() + timedelta(days=1)
    query = {"from": start.isoformat(), "to": (start + timedelta(days=days)).isoformat()}
    with api(base or stack.http) as client:
        body = expect(client.get(f"/doctors/{doctor_id}/availability", params=query), 200)
    return [slot for day in body["days"] for slot in day["slots"]]


def book(stack: Stack, patient: Account, doctor: Account, *, payment_method: str, slot_index: int = 0) -> dict:
    slot = free_slots(stack, doctor.doctor_id)[slot_index]
    with api(stack.http, patient) as client:
        return expect(
            client.post(
                "/appointments",
                json={"doctor_id": doctor.doctor_id, "start": slot["start"], "payment_method": payment_method},
            ),
            201,
        )


def card_pay(stack: Stack, client_secret: str, *, card_number: str = "4242424242424242") -> dict:
    """What the app's Stripe SDK does with the intent: attach a test card, confirm it.

    localstripe takes these calls with the secret key only (Stripe.js would use the publishable
    key and the client secret); the calls and their order are Stripe's.
    """
    intent_id = client_secret.split("_secret_")[0]
    auth = {"Authorization": f"Bearer {stack.env['STRIPE_SECRET_KEY']}"}
    with httpx.Client(base_url=stack.stripe_url + "/v1", headers=auth, timeout=30) as stripe:
        method = stripe.post(
            "/payment_methods",
            data={
                "type": "card",
                "card[number]": card_number,
                "card[exp_month]": "12",
                "card[exp_year]": str(datetime.now(UTC).year + 3),
                "card[cvc]": "123",
            },
        )
        assert method.status_code == 200, method.text
        attached = stripe.post(f"/payment_intents/{intent_id}", data={"payment_method": method.json()["id"]})
        assert attached.status_code == 200, attached.text
        stripe.post(f"/payment_intents/{intent_id}/confirm")  # a declined card answers 402
        return stripe.get(f"/payment_intents/{intent_id}").json()


def card_pay_for(stack: Stack, patient: Account, appointment_id: str, **kwargs) -> dict:
    with api(stack.http, patient) as client:
        intent = expect(client.post("/payments/intents", json={"appointment_id": appointment_id}), 201)
    card_pay(stack, intent["client_secret"], **kwargs)
    return intent


@asynccontextmanager
async def socket(url: str, **kwargs) -> AsyncIterator[ClientConnection]:
    """A WebSocket as a native app opens it: no Origin header unless `origin=` is given."""
    async with connect(url, open_timeout=10, close_timeout=2, **kwargs) as connection:
        yield connection


async def next_frame(connection: ClientConnection, frame_type: str, timeout: float = 20, where=None) -> dict:
    """The next frame of `frame_type` (matching `where`, when given; others skipped)."""

    async def wait() -> dict:
        while True:
            frame = json.loads(await connection.recv())
            if frame.get("type") == frame_type and (where is None or where(frame)):
                return frame

    return await asyncio.wait_for(wait(), timeout)
