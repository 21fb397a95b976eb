"""Which clinics a staff member may see, and the querysets scoped to them (the admin's one filter)."""

from collections.abc import Sequence

from django.db.models import Q, QuerySet

from clinics.models import Clinic

PLATFORM = "platform"  # only platform admins (superusers, or the `view_all_clinics` permission)
SHARED = "shared"  # the same for every staff member (a catalogue such as specialties)


def staff_is_platform_admin(*, user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("clinics.view_all_clinics"))


def staff_clinic_ids(*, user) -> list | None:
    """The ids of the user's clinics; None for a platform admin (every clinic)."""
    if staff_is_platform_admin(user=user):
        return None
    cache_name = "_staff_clinic_ids"
    if not hasattr(user, cache_name):
        setattr(user, cache_name, list(Clinic.objects.filter(staff=user).values_list("pk", flat=True)))
    return getattr(user, cache_name)


def clinic_scope_filter(*, queryset: QuerySet, user, scope: str | Sequence[str]) -> QuerySet:
    """`queryset` cut to what `user` may see. `scope` is PLATFORM, SHARED, or the lookup(s) from the
    model to `Clinic` ("doctor__clinic"; several are OR-ed, e.g. a user is a doctor, a patient or a
    colleague of the clinic)."""
    clinic_ids = staff_clinic_ids(user=user)
    if clinic_ids is None or scope == SHARED:
        return queryset
    if scope == PLATFORM:
        return queryset.none()
    lookups = [scope] if isinstance(scope, str) else list(scope)
    condition = Q()
    for lookup in lookups:
        condition |= Q(**{f"{lookup}__in": clinic_ids})
    if len(lookups) == 1 and "__" not in lookups[0]:
        return queryset.filter(condition)
    # A lookup through a to-many relation (a patient's appointments) would repeat rows: a subquery
    # keeps one row per object without DISTINCT (which the admin's annotations and ordering dislike).
    return queryset.filter(pk__in=queryset.model._default_manager.filter(condition).values("pk"))


def clinics_for_staff(*, user) -> QuerySet:
    return clinic_scope_filter(queryset=Clinic.objects.all(), user=user, scope="pk")
