import unicodedata
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from core.exceptions import NotFoundError
from support.models import FaqEntry, Policy, PolicyAcceptance, PolicySlug, SupportRequest


def _fold(text: str) -> str:
    """Lower case without accents: 'Rendez-vous annulé' and 'ANNULE' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def faq_list(*, query: str = "") -> list[FaqEntry]:
    """Published FAQ entries in display order; with `query`, those whose question or answer in the
    active language (modeltranslation falls back to English) contains every word of it, ignoring
    case and accents. The FAQ is a few dozen rows, so matching in Python gives the same folding on
    PostgreSQL and SQLite without an unaccent index."""
    entries = list(FaqEntry.objects.filter(is_published=True))
    words = _fold(query).split()
    if not words:
        return entries
    return [entry for entry in entries if all(word in _fold(f"{entry.question}\n{entry.answer}") for word in words)]


def support_request_list(*, user: Any) -> QuerySet[SupportRequest]:
    return SupportRequest.objects.filter(requester=user).order_by("-created_at")


def policy_get_published(*, slug: str) -> Policy:
    policy = Policy.objects.filter(slug=slug, is_published=True).first() if slug in PolicySlug.values else None
    if policy is None:
        raise NotFoundError(_("No such policy."), code="not_found")
    return policy


def policy_acceptance_state(*, user: Any) -> dict[str, dict[str, Any]]:
    """For each policy: its current version and whether `user` accepted that version, e.g.
    `{"privacy": {"version": 3, "accepted": True, "accepted_at": ...}, "terms": {...}}`.
    With no published version there is nothing to accept: version None, accepted True.
    One query (every `/users/me` asks), without the policies' texts."""
    accepted_at = PolicyAcceptance.objects.filter(user=user, policy=OuterRef("pk")).values("accepted_at")[:1]
    current = {
        slug: (version, accepted)
        for slug, version, accepted in Policy.objects.filter(is_published=True)
        .annotate(accepted_at=Subquery(accepted_at))
        .order_by()
        .values_list("slug", "version", "accepted_at")
    }
    state: dict[str, dict[str, Any]] = {}
    for slug in PolicySlug.values:
        if slug not in current:
            state[slug] = {"version": None, "accepted": True, "accepted_at": None}
        else:
            version, accepted = current[slug]
            state[slug] = {"version": version, "accepted": accepted is not None, "accepted_at": accepted}
    return state
