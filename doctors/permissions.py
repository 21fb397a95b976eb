from rest_framework.permissions import BasePermission

from accounts.models import Role


class IsPatient(BasePermission):
    message = "Only patients can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.PATIENT)


class IsDoctor(BasePermission):
    message = "Only doctors can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.DOCTOR)
