"""Demo help center: FAQ entries and both policies, in English and French."""

from support.models import FaqCategory, FaqEntry, Policy, PolicySlug
from support.services import policy_publish

FAQ = [
    (
        FaqCategory.APPOINTMENTS,
        1,
        "How do I book an appointment?",
        "Search for a doctor, pick a free slot and choose how to pay.",
        "Comment prendre un rendez-vous ?",
        "Cherchez un médecin, choisissez un créneau libre et le mode de paiement.",
    ),
    (
        FaqCategory.APPOINTMENTS,
        2,
        "Can I cancel an appointment?",
        "Yes. Cancelling at least 24 hours before the start refunds a card payment in full.",
        "Puis-je annuler un rendez-vous ?",
        "Oui. Une annulation au moins 24 heures avant le début rembourse intégralement un paiement par carte.",
    ),
    (
        FaqCategory.PAYMENTS,
        1,
        "Which payment methods are accepted?",
        "Card in the app, or payment at the clinic when the doctor allows it.",
        "Quels moyens de paiement sont acceptés ?",
        "La carte dans l'application, ou le paiement au cabinet si le médecin l'accepte.",
    ),
    (
        FaqCategory.ACCOUNT,
        1,
        "How do I change the app's language?",
        "Open Settings and choose English or French.",
        "Comment changer la langue de l'application ?",
        "Ouvrez les Réglages et choisissez français ou anglais.",
    ),
    (
        FaqCategory.PRIVACY,
        1,
        "Who can read my messages?",
        "Only you and your doctor. Messages are encrypted at rest.",
        "Qui peut lire mes messages ?",
        "Seuls vous et votre médecin. Les messages sont chiffrés au repos.",
    ),
]

POLICIES = [
    (
        PolicySlug.PRIVACY,
        "Privacy policy",
        "We keep your health data only to run your appointments and never sell it.",
        "Politique de confidentialité",
        "Nous conservons vos données de santé uniquement pour gérer vos rendez-vous et ne les vendons jamais.",
    ),
    (
        PolicySlug.TERMS,
        "Terms of use",
        "Tabib connects patients and doctors; doctors remain responsible for their care.",
        "Conditions d'utilisation",
        "Tabib met en relation patients et médecins ; les médecins restent responsables de leurs soins.",
    ),
]


def seed(out) -> None:
    for category, position, question_en, answer_en, question_fr, answer_fr in FAQ:
        FaqEntry.objects.update_or_create(
            question_en=question_en,
            defaults={
                "category": category,
                "position": position,
                "answer_en": answer_en,
                "question_fr": question_fr,
                "answer_fr": answer_fr,
                "is_published": True,
            },
        )
    for slug, title_en, body_en, title_fr, body_fr in POLICIES:
        policy, _created = Policy.objects.get_or_create(
            slug=slug,
            version=1,
            defaults={"title_en": title_en, "body_en": body_en, "title_fr": title_fr, "body_fr": body_fr},
        )
        if not Policy.objects.filter(slug=slug, is_published=True).exists():
            policy_publish(policy=policy)
    out.write(f"  support  {len(FAQ)} FAQ entries, privacy and terms policies (EN/FR)")
