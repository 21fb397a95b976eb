import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_pages_render_in_french_for_a_french_doctor(doctor_client, doctor):
    doctor.user.locale = "fr"
    doctor.user.save()
    for name in ("portal:today", "portal:schedule", "portal:appointments", "portal:profile", "portal:notifications"):
        html = doctor_client.get(reverse(name)).content.decode()
        assert '<html lang="fr">' in html
        assert "Aujourd’hui" in html or "Aujourd'hui" in html
        assert "Rendez-vous" in html


def test_the_language_switch_saves_the_users_locale(doctor_client, doctor):
    response = doctor_client.post(reverse("portal:language"), {"locale": "fr", "next": "/portal/schedule/"})
    assert response["Location"] == "/portal/schedule/"
    assert User.objects.get(pk=doctor.user.pk).locale == "fr"
    html = doctor_client.get(reverse("portal:schedule")).content.decode()
    assert '<html lang="fr">' in html
    assert "Horaires hebdomadaires" in html


def test_an_unsupported_language_changes_nothing(doctor_client, doctor):
    doctor_client.post(reverse("portal:language"), {"locale": "de"})
    assert User.objects.get(pk=doctor.user.pk).locale == "en"


def test_the_login_page_switches_language_by_cookie(client):
    client.post(reverse("portal:language"), {"locale": "fr", "next": "/portal/login/"})
    html = client.get(reverse("portal:login")).content.decode()
    assert '<html lang="fr">' in html
    assert "Se connecter" in html
