"""Every write of the accounts app: registration, login, passwords, email verification, erasure,
profile edits and social sign-in. The API (and the portal) only call these."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, validate_totp_code
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _

from accounts.emails import PASSWORD_RESET, VERIFY_EMAIL, account_email_queue
from accounts.errors import AccountsErrorCode
from accounts.models import Locale, PatientProfile, Relationship, Relative, Role, User
from accounts.selectors import (
    relative_get_for_user,
    relatives_of,
    social_account_find,
    user_find_by_email,
    user_totp_authenticator,
)
from accounts.sync import profile_sync_record, relative_sync_record
from accounts.tokens import user_access_revoke
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from core.models import SyncOp
from core.services import audit_record
from core.sockets import user_sockets_close
from core.zones import zone_or_none

REGISTRATION_ROLES = (Role.PATIENT, Role.DOCTOR)
PATIENT_PROFILE_FIELDS = ("date_of_birth", "phone", "gender", "address", "city", "country")
USER_EDITABLE_FIELDS = ("first_name", "last_name", "locale", "theme", "timezone")


def email_normalize(email: str) -> str:
    return email.strip().lower()


def password_validate(*, password: str, user: User | None = None, attr: str = "password") -> None:
    """Django's password validators (length, common, numeric, similarity) as an ApplicationError."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as error:
        code = error.error_list[0].code or AccountsErrorCode.PASSWORD_INVALID
        raise ApplicationError(" ".join(error.messages), code=code, attr=attr) from error


def _invalid_credentials() -> ApplicationError:
    return ApplicationError(
        _("Unable to log in with the provided credentials."), code=AccountsErrorCode.INVALID_CREDENTIALS, status=401
    )


def user_register(
    *,
    email: str,
    password: str,
    role: str,
    first_name: str,
    last_name: str,
    locale: str = Locale.EN,
    ip_address: str | None = None,
) -> User:
    """Create a patient or doctor account (a doctor gets a pending DoctorProfile) and email a
    verification key. Admins are never created here."""
    if role not in REGISTRATION_ROLES:
        raise ApplicationError(_("This role cannot be chosen at registration."), code="invalid_role", attr="role")
    email = email_normalize(email)
    user = User(email=email, role=role, first_name=first_name, last_name=last_name, locale=locale)
    # The password first: answering `email_taken` to any password would tell anyone, for free,
    # which addresses have an account (registration is also throttled per IP and per email).
    password_validate(password=password, user=user)
    # Hashing (Argon2, the slow part on purpose) happens before the first query: a pooled database
    # connection is taken at that query and held to the end of the request, so a burst of sign-ups
    # would otherwise hold every connection of the pool while hashing, and starve everyone else.
    user.set_password(password)
    with transaction.atomic():
        return _user_register_store(user=user, ip_address=ip_address)


def _user_register_store(*, user: User, ip_address: str | None) -> User:
    """The rows of a new account; the caller holds the transaction and has hashed the password."""
    email, role = user.email, user.role
    if user_find_by_email(email=email) is not None:
        raise ApplicationError(
            _("An account with this email already exists."), code=AccountsErrorCode.EMAIL_TAKEN, attr="email"
        )
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise ApplicationError(
            _("An account with this email already exists."), code=AccountsErrorCode.EMAIL_TAKEN, attr="email"
        ) from error
    if role == Role.DOCTOR:
        # Up-call (see docs/architecture.md): doctors sits above accounts in the dependency order.
        from doctors.services import doctor_profile_ensure

        doctor_profile_ensure(user=user)
    else:
        PatientProfile.objects.create(user=user)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    audit_record(action="auth.register", actor=user, target=user, ip_address=ip_address, data={"role": role})
    account_email_queue(user=user, builder=VERIFY_EMAIL)
    return user


def user_login(*, email: str, password: str, ip_address: str | None = None) -> User:
    """The active user with these credentials, or 401 with one generic message (no enumeration).

    Not atomic on purpose: the failed-login audit row must survive the 401.
    """
    email = email_normalize(email)
    # ModelBackend runs the hasher even for an unknown email, so timing does not tell either.
    user = ModelBackend().authenticate(None, username=email, password=password)
    if user is None:
        known = user_find_by_email(email=email)
        audit_record(
            action="auth.login_failed", actor=None, target=known, ip_address=ip_address, data={"email": email[:254]}
        )
        raise _invalid_credentials()
    with transaction.atomic():
        update_last_login(User, user)
        audit_record(action="auth.login", actor=user, target=user, ip_address=ip_address, data={"method": "password"})
    return user


@transaction.atomic
def session_logout(*, user: User, ip_address: str | None = None) -> None:
    """A portal sign-out: the session ends in the view; the user's open sockets close here."""
    user_sockets_close(user_id=user.pk)
    audit_record(action="auth.logout", actor=user, target=user, ip_address=ip_address, data={"method": "session"})


@transaction.atomic
def email_verify(*, key: str) -> User:
    """Confirm the address behind an allauth HMAC key and mark the user's email verified."""
    confirmation = EmailConfirmationHMAC.from_key(key)
    if confirmation is None:
        raise ApplicationError(
            _("This verification link is invalid or has expired."), code=AccountsErrorCode.INVALID_KEY, attr="key"
        )
    address = confirmation.email_address
    user = address.user
    if not user.is_active or address.email.lower() != user.email.lower() or not address.set_verified():
        raise ApplicationError(
            _("This verification link is invalid or has expired."), code=AccountsErrorCode.INVALID_KEY, attr="key"
        )
    user.email_verified = True
    user.save(update_fields=["email_verified", "updated_at"])
    profile_sync_record(user=user)
    return user


def email_verification_resend(*, user: User) -> None:
    if not user.email_verified:
        account_email_queue(user=user, builder=VERIFY_EMAIL)


def password_reset_request(*, email: str, portal_url: str = "") -> None:
    """Email a reset link if an active account has this email; silent otherwise (no enumeration).

    The link opens the app, or the portal's reset page when `portal_url` (its scheme and host) is given.
    """
    user = user_find_by_email(email=email_normalize(email), active_only=True)
    if user is not None:
        account_email_queue(user=user, builder=PASSWORD_RESET, args={"portal_url": portal_url})


def _user_from_uid(uid: str) -> User | None:
    try:
        pk = force_str(urlsafe_base64_decode(uid))
        return User.objects.filter(pk=pk, is_active=True).first()
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError, DjangoValidationError):
        return None


def password_reset_confirm(*, uid: str, token: str, new_password: str, ip_address: str | None = None) -> User:
    """Set a new password from an emailed uid + token (the API's reset)."""
    return password_reset_set(user=_user_from_uid(uid), token=token, new_password=new_password, ip_address=ip_address)


@transaction.atomic
def password_reset_set(*, user: User | None, token: str, new_password: str, ip_address: str | None = None) -> User:
    """Set a new password if `token` is the user's current reset token, and revoke every refresh
    token of the user. The portal's reset page calls this with the user its link names."""
    if user is None or not user.is_active or not default_token_generator.check_token(user, token):
        raise ApplicationError(
            _("This password reset link is invalid or has expired."),
            code=AccountsErrorCode.INVALID_RESET_TOKEN,
            attr="token",
        )
    password_validate(password=new_password, user=user, attr="new_password")
    user.set_password(new_password)
    fields = ["password", "updated_at"]
    unlinked = 0
    if not user.email_verified:
        # The reset link reached the mailbox, so whoever follows it owns the address. Whoever
        # registered it before them (or linked a social sign-in to it) is shut out: their password
        # is replaced, their social links removed, their tokens and sessions revoked below.
        unlinked, _deleted = SocialAccount.objects.filter(user=user).delete()
        user.email_verified = True
        fields.append("email_verified")
        EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
    user.save(update_fields=fields)
    if "email_verified" in fields:
        profile_sync_record(user=user)
    # A new password hash also ends every Django session of the user (their auth hash changes).
    revoked = user_access_revoke(user=user)
    audit_record(
        action="auth.password_reset",
        actor=user,
        target=user,
        ip_address=ip_address,
        data={"revoked_tokens": revoked, "unlinked_social_accounts": unlinked},
    )
    return user


@transaction.atomic
def password_change(
    *,
    user: User,
    old_password: str,
    new_password: str,
    ip_address: str | None = None,
    keep_refresh_jti: str | None = None,
) -> None:
    """Set a new password; every other device is signed out: the user's refresh tokens are revoked
    but `keep_refresh_jti` (the caller's own), Django sessions end with the old password hash (the
    portal keeps its own with `update_session_auth_hash`), open sockets are closed."""
    if not user.check_password(old_password):
        raise ApplicationError(
            _("Your current password is incorrect."), code=AccountsErrorCode.WRONG_PASSWORD, attr="old_password"
        )
    password_validate(password=new_password, user=user, attr="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    revoked = user_access_revoke(user=user, keep_refresh_jti=keep_refresh_jti)
    audit_record(
        action="auth.password_change", actor=user, target=user, ip_address=ip_address, data={"revoked_tokens": revoked}
    )


@transaction.atomic
def user_deactivate(*, user: User, by: User | None, ip_address: str | None = None) -> None:
    """Switch an account off (staff, from the admin): it can no longer sign in, and nothing it
    opened stays open. Safe to call on an account the admin's form already saved inactive."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
    revoked = user_access_revoke(user=user)
    audit_record(
        action="user.deactivate", actor=by, target=user, ip_address=ip_address, data={"revoked_tokens": revoked}
    )


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Edit the user's own settings; role and email are not editable here. An unknown locale or
    time zone -> 400 (`invalid_locale`, `invalid_timezone`) naming the field."""
    if "locale" in data and data["locale"] not in Locale.values:
        raise ApplicationError(
            _("Choose a language among: %(choices)s.") % {"choices": ", ".join(Locale.values)},
            code=AccountsErrorCode.INVALID_LOCALE,
            attr="locale",
        )
    if "timezone" in data and zone_or_none(data["timezone"]) is None:
        raise ApplicationError(_("Unknown time zone."), code=AccountsErrorCode.INVALID_TIMEZONE, attr="timezone")
    changed = [name for name in USER_EDITABLE_FIELDS if name in data and getattr(user, name) != data[name]]
    for name in changed:
        setattr(user, name, data[name])
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
        profile_sync_record(user=user)
    if user.is_doctor and {"first_name", "last_name"} & set(changed):
        from doctors.services import doctor_search_name_refresh  # up-call, as above

        doctor_search_name_refresh(user=user)
    return user


@transaction.atomic
def user_erase(*, user: User, ip_address: str | None = None) -> None:
    """GDPR erasure: deactivate, anonymise personal fields, unlink social logins, revoke tokens.

    The row stays (appointments, payments and audit rows point at it) but says nothing about the person.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    user.email = f"erased-{user.pk.hex}@erased.invalid"
    user.first_name = ""
    user.last_name = ""
    user.email_verified = False
    user.is_active = False
    if user.avatar:
        user.avatar.delete(save=False)
    user.avatar = ""
    user.set_unusable_password()
    user.save(
        update_fields=[
            "email",
            "first_name",
            "last_name",
            "email_verified",
            "is_active",
            "avatar",
            "password",
            "updated_at",
        ]
    )
    profile_sync_record(user=user)
    PatientProfile.objects.filter(user=user).update(
        date_of_birth=None, phone="", gender="", address="", city="", country=""
    )
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    # Up-call (see docs/architecture.md): the waitlist sits above accounts; an open offer passes on.
    # Before the relatives: the entries protect the relatives they are for.
    from waitlist.services import waitlist_entries_erase

    waitlist_entries_erase(patient=user)
    _relatives_erase(user=user)
    revoked = user_access_revoke(user=user)
    audit_record(action="user.erase", actor=user, target=user, ip_address=ip_address, data={"revoked_tokens": revoked})


def _relatives_erase(*, user: User) -> None:
    """Erasure of the account's relatives: those who attended an appointment stay as blank rows (the
    appointments point at them), the others are deleted; every offline copy drops them all."""
    # Up-call (see docs/architecture.md): appointments sits above accounts; the appointments the
    # blanked relatives attended change for both participants' offline copies.
    from appointments.sync import relative_appointments_sync_record

    relatives = list(Relative.objects.filter(user=user).select_for_update())
    for relative in relatives:
        if relative.removed_at is None:
            relative_sync_record(relative=relative, op=SyncOp.DELETE)
    Relative.objects.filter(user=user, appointments__isnull=True).delete()
    kept = Relative.objects.filter(user=user)
    kept.filter(removed_at__isnull=True).update(removed_at=timezone.now())
    kept.update(first_name="", last_name="", date_of_birth=None, updated_at=timezone.now())
    relative_appointments_sync_record(relative_ids=[relative.pk for relative in relatives])


def _require_patient(user: User) -> None:
    if user.role != Role.PATIENT:
        raise PermissionDeniedError(_("Only patients have a patient profile."), code=AccountsErrorCode.NOT_A_PATIENT)


def patient_profile_get_or_create(*, user: User) -> PatientProfile:
    _require_patient(user)
    profile, _created = PatientProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def patient_profile_update(*, user: User, data: dict[str, Any]) -> PatientProfile:
    profile = patient_profile_get_or_create(user=user)
    changed = [name for name in PATIENT_PROFILE_FIELDS if name in data and getattr(profile, name) != data[name]]
    for name in changed:
        setattr(profile, name, data[name])
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
    return profile


# --- Relatives: the people a patient account books for -----------------------------------------------

MAX_RELATIVES = 10
OLDEST_RELATIVE_YEARS = 130
RELATIVE_FIELDS = ("first_name", "last_name", "date_of_birth", "relationship")


def _relative_clean(data: dict[str, Any]) -> dict[str, Any]:
    """The relative's fields among `data`, checked: names not blank, a date of birth neither in the
    future nor more than 130 years ago, a known relationship. 400 naming the field otherwise."""
    cleaned = {name: data[name] for name in RELATIVE_FIELDS if name in data}
    for name in ("first_name", "last_name"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name]).strip()[:150]
            if not cleaned[name]:
                raise ApplicationError(_("Enter a name."), code=AccountsErrorCode.INVALID_NAME, attr=name)
    born = cleaned.get("date_of_birth")
    if "date_of_birth" in cleaned:
        today = timezone.localdate()
        if not isinstance(born, date) or born > today:
            raise ApplicationError(
                _("The date of birth cannot be in the future."),
                code=AccountsErrorCode.INVALID_DATE_OF_BIRTH,
                attr="date_of_birth",
            )
        if born.year < today.year - OLDEST_RELATIVE_YEARS:
            raise ApplicationError(
                _("Enter a date of birth less than %(years)d years ago.") % {"years": OLDEST_RELATIVE_YEARS},
                code=AccountsErrorCode.INVALID_DATE_OF_BIRTH,
                attr="date_of_birth",
            )
    if "relationship" in cleaned and cleaned["relationship"] not in Relationship.values:
        raise ApplicationError(
            _("Choose a relationship among: %(choices)s.") % {"choices": ", ".join(Relationship.values)},
            code="invalid_choice",
            attr="relationship",
        )
    return cleaned


def _account_lock(user: User) -> None:
    """Lock the account's row before any relative's: booking (its limits check) and erasure take the
    same locks in the same order, so they wait for each other instead of deadlocking, and two
    concurrent additions count each other. Caller holds the transaction."""
    User.objects.select_for_update().filter(pk=user.pk).first()


@transaction.atomic
def relative_create(*, user: User, first_name: str, last_name: str, date_of_birth: date, relationship: str) -> Relative:
    """Add someone the account books for: at most MAX_RELATIVES (409 `too_many_relatives`)."""
    _require_patient(user)
    fields = _relative_clean(
        {
            "first_name": first_name,
            "last_name": last_name,
            "date_of_birth": date_of_birth,
            "relationship": relationship,
        }
    )
    _account_lock(user)
    if relatives_of(user=user).count() >= MAX_RELATIVES:
        raise ConflictError(
            _("An account can book for at most %(count)d relatives.") % {"count": MAX_RELATIVES},
            code=AccountsErrorCode.TOO_MANY_RELATIVES,
        )
    relative = Relative.objects.create(user=user, **fields)
    relative_sync_record(relative=relative)
    return relative


@transaction.atomic
def relative_update(*, user: User, relative_id: Any, data: dict[str, Any]) -> Relative:
    """Edit one of the account's relatives (404 when it is not theirs). The appointments it attends
    show the new facts, to the doctor as well."""
    # Up-call (see docs/architecture.md): the appointments the relative attends change for both
    # participants' offline copies.
    from appointments.sync import relative_appointments_sync_record

    _require_patient(user)
    _account_lock(user)
    relative = relative_get_for_user(user=user, relative_id=relative_id, lock=True)
    cleaned = _relative_clean(data)
    changed = [name for name in RELATIVE_FIELDS if name in cleaned and getattr(relative, name) != cleaned[name]]
    for name in changed:
        setattr(relative, name, cleaned[name])
    if changed:
        relative.save(update_fields=[*changed, "updated_at"])
        relative_sync_record(relative=relative)
        relative_appointments_sync_record(relative_ids=[relative.pk])
    return relative


@transaction.atomic
def relative_delete(*, user: User, relative_id: Any) -> None:
    """Remove one of the account's relatives: 409 `relative_has_upcoming_appointments` while it has an
    active upcoming appointment (cancel those first), 409 `relative_on_waitlist` while it waits on a
    waitlist (leave it first). One who attended past appointments or waited on a waitlist stays in
    that history (`removed_at`); one who never did is deleted."""
    # Up-calls (see docs/architecture.md): whether an appointment is upcoming is the appointments
    # app's rule, whether a waitlist entry still waits the waitlist's.
    from appointments.selectors import relative_has_upcoming_appointments
    from waitlist.selectors import waitlist_relative_waits

    _require_patient(user)
    _account_lock(user)
    relative = relative_get_for_user(user=user, relative_id=relative_id, lock=True)
    if relative_has_upcoming_appointments(relative=relative):
        raise ConflictError(
            _("This relative has upcoming appointments. Cancel them first."),
            code=AccountsErrorCode.RELATIVE_HAS_UPCOMING_APPOINTMENTS,
        )
    if waitlist_relative_waits(relative=relative):
        raise ConflictError(
            _("This relative is on a waitlist. Leave it first."), code=AccountsErrorCode.RELATIVE_ON_WAITLIST
        )
    relative_sync_record(relative=relative, op=SyncOp.DELETE)
    if relative.appointments.exists() or relative.waitlist_entries.exists():
        relative.removed_at = timezone.now()
        relative.save(update_fields=["removed_at", "updated_at"])
    else:
        relative.delete()


@dataclass(frozen=True)
class SocialIdentity:
    """Who a provider says the caller is, after we verified the provider's token."""

    provider: str
    uid: str
    email: str
    email_verified: bool
    first_name: str = ""
    last_name: str = ""
    extra_data: dict[str, Any] = field(default_factory=dict)


def _social_link_requires_password() -> ApplicationError:
    return ApplicationError(
        _(
            "An account with this email address already exists. Sign in with its password, then use this "
            "sign-in method again to link it; or reset the password if you do not know it."
        ),
        code=AccountsErrorCode.SOCIAL_LINK_REQUIRES_PASSWORD,
        status=409,
    )


@transaction.atomic
def user_social_link(*, user: User, identity: SocialIdentity, ip_address: str | None = None) -> User:
    """Link a verified social identity to the account its owner is signed in to (with the password:
    what the `social_link_requires_password` answer asks for). Whatever the emails say: the caller
    proved both. An identity already linked to another account stays there (409)."""
    linked = social_account_find(provider=identity.provider, uid=identity.uid)
    if linked is not None and linked.user_id != user.pk:
        raise ApplicationError(
            _("This sign-in is already linked to another account."),
            code=AccountsErrorCode.SOCIAL_ACCOUNT_LINKED_ELSEWHERE,
            status=409,
        )
    if linked is None:
        SocialAccount.objects.create(
            user=user, provider=identity.provider, uid=identity.uid, extra_data=identity.extra_data
        )
        audit_record(
            action="auth.social_link",
            actor=user,
            target=user,
            ip_address=ip_address,
            data={"provider": identity.provider},
        )
    return user


@transaction.atomic
def user_social_login(*, identity: SocialIdentity, ip_address: str | None = None) -> User:
    """The user behind a verified social identity: the linked account, else the account with the
    same email (linked now, only when both sides vouch for the address), else a new patient account.

    Linking needs the provider AND our account to have verified the email: an unverified account
    may have been registered by someone else first, who knows its password (issue 17, item 1); an
    unverified provider email may not be its user's at all (Facebook's, item 2)."""
    linked = social_account_find(provider=identity.provider, uid=identity.uid)
    if linked is not None:
        user = linked.user
        if not user.is_active:
            raise _invalid_credentials()
    else:
        if not identity.email:
            raise ApplicationError(
                _("Your account with this provider has no verified email address."),
                code=AccountsErrorCode.SOCIAL_EMAIL_NOT_VERIFIED,
                status=401,
            )
        email = email_normalize(identity.email)
        user = user_find_by_email(email=email)
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=None,
                role=Role.PATIENT,
                first_name=identity.first_name[:150],
                last_name=identity.last_name[:150],
                email_verified=identity.email_verified,
            )
            PatientProfile.objects.create(user=user)
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=identity.email_verified)
            if not identity.email_verified:
                account_email_queue(user=user, builder=VERIFY_EMAIL)
        elif not user.is_active:
            raise _invalid_credentials()
        elif not (identity.email_verified and user.email_verified):
            raise _social_link_requires_password()
        SocialAccount.objects.create(
            user=user, provider=identity.provider, uid=identity.uid, extra_data=identity.extra_data
        )
    update_last_login(User, user)
    audit_record(
        action="auth.login", actor=user, target=user, ip_address=ip_address, data={"method": identity.provider}
    )
    return user


# --- Two-factor sign-in (TOTP, through allauth's MFA) ----------------------------------------------------


def _invalid_totp_code() -> ApplicationError:
    return ApplicationError(
        _("This code is not valid. Enter the 6-digit code your authenticator app shows now."),
        code=AccountsErrorCode.INVALID_TOTP_CODE,
        attr="code",
    )


@transaction.atomic
def user_totp_activate(*, user: User, secret: str, code: str) -> Authenticator:
    """Enrol an authenticator app: the code proves the app holds `secret`. One per user."""
    if user_totp_authenticator(user=user) is not None:
        raise ApplicationError(
            _("Two-factor sign-in is already on."), code=AccountsErrorCode.TOTP_ALREADY_ENABLED, status=409
        )
    if not validate_totp_code(secret, code.strip()):
        raise _invalid_totp_code()
    authenticator = TOTP.activate(user, secret).instance
    audit_record(action="auth.totp_enabled", actor=user, target=user)
    return authenticator


def user_totp_verify(*, user: User, code: str) -> bool:
    """True when the user has no authenticator, or `code` is its current code (each code works once)."""
    authenticator = user_totp_authenticator(user=user)
    return authenticator is None or TOTP(authenticator).validate_code(code.strip())


@transaction.atomic
def user_totp_deactivate(*, user: User, code: str) -> None:
    """Turn two-factor sign-in off; the current code is required, so a left-open session cannot."""
    authenticator = user_totp_authenticator(user=user)
    if authenticator is None:
        return
    if not TOTP(authenticator).validate_code(code.strip()):
        raise _invalid_totp_code()
    authenticator.delete()
    audit_record(action="auth.totp_disabled", actor=user, target=user)


# --- Patients who phoned the clinic ---------------------------------------------------------------------


@transaction.atomic
def patient_invite(
    *, email: str, first_name: str, last_name: str, phone: str = "", locale: str = "fr", by: Any
) -> User:
    """An account for a patient booked by clinic staff: no password yet, and an email with a link to
    set one (the password reset link). 400 `email_taken` when the address already has an account."""
    email = email_normalize(email)
    if user_find_by_email(email=email) is not None:
        raise ApplicationError(
            _("An account with this email already exists."), code=AccountsErrorCode.EMAIL_TAKEN, attr="email"
        )
    user = User(email=email, role=Role.PATIENT, first_name=first_name.strip(), last_name=last_name.strip())
    user.locale = locale if locale in Locale.values else Locale.EN
    user.set_unusable_password()
    user.save()
    PatientProfile.objects.create(user=user, phone=phone.strip())
    audit_record(action="patient.invited", actor=by, target=user)
    account_email_queue(user=user, builder=PASSWORD_RESET, args={"portal_url": ""})
    return user
