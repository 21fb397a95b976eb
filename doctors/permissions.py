from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.models import Role


class IsPatient(BasePermission):
    message = _("Only patients can do this.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.PATIENT)


class IsDoctor(BasePermission):
    message = _("Only doctors can do this.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.DOCTOR)
