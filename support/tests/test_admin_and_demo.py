import io

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory
from support import demo
from support.models import FaqEntry, Policy, PolicySlug
from support.tests.factories import FaqEntryFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(AdminFactory())
    return client


def test_faq_admin_edits_both_languages(staff_client):
    entry = FaqEntryFactory()

    response = staff_client.get(reverse("admin:support_faqentry_change", args=[entry.pk]))

    assert response.status_code == 200
    assert b'name="question_en"' in response.content
    assert b'name="question_fr"' in response.content


def test_policy_admin_publishes_through_the_service(staff_client):
    old = PolicyFactory(slug=PolicySlug.TERMS, version=1)
    new = PolicyFactory(slug=PolicySlug.TERMS, version=2, is_published=False, published_at=None)

    page = staff_client.get(reverse("admin:support_policy_change", args=[new.pk]))
    response = staff_client.post(
        reverse("admin:support_policy_changelist"), {"action": "publish", "_selected_action": [str(new.pk)]}
    )

    assert b'name="body_fr"' in page.content
    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.is_published, new.is_published) == (False, True)


def test_demo_seed_is_idempotent_and_bilingual():
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    assert FaqEntry.objects.count() == len(demo.FAQ)
    assert all(entry.question_fr and entry.answer_fr for entry in FaqEntry.objects.all())
    published = Policy.objects.filter(is_published=True)
    assert sorted(published.values_list("slug", flat=True)) == ["privacy", "terms"]
    assert all(policy.title_fr and policy.body_en for policy in published)


@pytest.mark.parametrize("model", ["faqentry", "policy", "policyacceptance", "supportrequest"])
def test_admin_changelists_render(staff_client, model):
    FaqEntryFactory()
    PolicyFactory()

    response = staff_client.get(reverse(f"admin:support_{model}_changelist"))

    assert response.status_code == 200
