import pytest

from accounts.tests.factories import PatientFactory
from support.models import FaqCategory
from support.tests.factories import FaqEntryFactory

pytestmark = pytest.mark.django_db

FAQ_URL = "/api/v1/help/faq"


@pytest.fixture
def refund_entry():
    return FaqEntryFactory(
        category=FaqCategory.PAYMENTS,
        question_en="When am I refunded?",
        answer_en="A cancelled card payment is refunded within 5 days.",
        question_fr="Quand suis-je remboursé ?",
        answer_fr="Un paiement annulé est remboursé sous 5 jours.",
    )


def test_faq_is_in_the_requested_language(api_client, refund_entry):
    response = api_client.get(FAQ_URL, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(refund_entry.id),
            "category": "payments",
            "category_label": "Paiements",
            "question": "Quand suis-je remboursé ?",
            "answer": "Un paiement annulé est remboursé sous 5 jours.",
        }
    ]


def test_faq_follows_the_users_saved_locale_without_a_header(auth_client, refund_entry):
    response = auth_client(PatientFactory(locale="fr")).get(FAQ_URL)

    assert response.json()[0]["question"] == "Quand suis-je remboursé ?"


def test_faq_search_matches_the_requested_language_ignoring_case_and_accents(api_client, refund_entry):
    FaqEntryFactory(question_fr="Comment changer de langue ?", answer_fr="Dans les réglages.")

    french = api_client.get(FAQ_URL, {"q": "REMBOURSE annule"}, HTTP_ACCEPT_LANGUAGE="fr").json()
    english_words_in_french = api_client.get(FAQ_URL, {"q": "refunded"}, HTTP_ACCEPT_LANGUAGE="fr").json()
    english = api_client.get(FAQ_URL, {"q": "refunded"}, HTTP_ACCEPT_LANGUAGE="en").json()

    assert [entry["id"] for entry in french] == [str(refund_entry.id)]
    assert english_words_in_french == []
    assert [entry["id"] for entry in english] == [str(refund_entry.id)]


def test_faq_falls_back_to_english_when_the_translation_is_missing(api_client):
    FaqEntryFactory(question_en="Only in English?", question_fr="", answer_fr="")

    response = api_client.get(FAQ_URL, {"q": "only"}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.json()[0]["question"] == "Only in English?"


def test_unpublished_entries_are_hidden_and_order_is_kept(api_client):
    second = FaqEntryFactory(category=FaqCategory.ACCOUNT, position=2)
    first = FaqEntryFactory(category=FaqCategory.ACCOUNT, position=1)
    FaqEntryFactory(is_published=False)

    response = api_client.get(FAQ_URL)

    assert [entry["id"] for entry in response.json()] == [str(first.id), str(second.id)]


def test_faq_query_count_is_constant(api_client, django_assert_max_num_queries):
    for _ in range(15):
        FaqEntryFactory()

    with django_assert_max_num_queries(1):
        response = api_client.get(FAQ_URL, {"q": "question"})

    assert len(response.json()) == 15
