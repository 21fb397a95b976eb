"""/users/me and the `user` object are built as dicts; they must be exactly what the serializers declare."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from accounts.serializers import MeSerializer, UserSerializer
from accounts.tests.factories import PatientFactory
from support.models import PolicyAcceptance, PolicySlug
from support.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def drf_fields(serializer, instance) -> dict:
    """DRF's own field-by-field output of the serializer's declared fields."""
    return dict(serializers.ModelSerializer.to_representation(serializer, instance))


def test_the_user_object_is_what_its_serializer_declares(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    plain = PatientFactory()
    pictured = PatientFactory(locale="fr", avatar=SimpleUploadedFile("a.png", b"\x89PNG", content_type="image/png"))
    request = APIRequestFactory().get("/api/v1/users/me")

    for user in (plain, pictured):
        for context in ({}, {"request": request}):
            serializer = UserSerializer(user, context=context)
            assert serializer.data == drf_fields(serializer, user)


def test_users_me_is_what_its_serializer_declares_with_and_without_policies():
    patient = PatientFactory()
    assert MeSerializer(patient).data == drf_fields(MeSerializer(), patient)

    privacy = PolicyFactory(slug=PolicySlug.PRIVACY, version=2)
    PolicyFactory(slug=PolicySlug.TERMS, version=1)
    PolicyAcceptance.objects.create(user=patient, policy=privacy)

    serializer = MeSerializer(patient)
    assert serializer.data == drf_fields(serializer, patient)
    assert serializer.data["policies"]["privacy"]["accepted"] is True
