"""Who may be in the cabinet: people, organisations, and the sessions they hold.

Identity comes only from verified certificates: a person is keyed by IIN, an
organisation by BIN, and the first login creates them. Staff accounts for the
admin are plain users without a person.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.roles import LoginMethod, Role

_TWELVE_DIGITS = RegexValidator(r"^[0-9]{12}\Z", _("Twelve digits."))


class User(AbstractUser):
    """A sign-in account: a person's (made by their first login) or staff's.

    A person's account has no usable password and the user name
    ``iin:<IIN>``, which the admin's user name rules cannot produce, so a
    staff account never collides with one.
    """

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Person(models.Model):
    """An individual known by IIN from a verified certificate."""

    user = models.OneToOneField(
        User, on_delete=models.PROTECT, related_name="person", verbose_name=_("user")
    )
    iin = models.CharField(
        _("IIN"), max_length=12, unique=True, validators=[_TWELVE_DIGITS]
    )
    surname = models.CharField(_("surname"), max_length=200, blank=True)
    first_name = models.CharField(_("first name"), max_length=200, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=200, blank=True)
    common_name = models.CharField(
        _("name in the certificate"), max_length=400, blank=True
    )
    email = models.CharField(_("email"), max_length=254, blank=True)
    is_blocked = models.BooleanField(_("blocked"), default=False)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    blocked_reason = models.CharField(
        _("reason for blocking"), max_length=300, blank=True
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    last_login_at = models.DateTimeField(_("last login"), null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ("surname", "first_name", "iin")

    def __str__(self) -> str:
        return f"{self.full_name} ({self.iin})"

    @property
    def full_name(self) -> str:
        """Surname, first name and patronymic, or the certificate's name."""
        parts = [self.surname, self.first_name, self.patronymic]
        joined = " ".join(part for part in parts if part)
        return joined or self.common_name


class Organisation(models.Model):
    """A legal entity known by BIN from a verified employee certificate."""

    bin = models.CharField(
        _("BIN"), max_length=12, unique=True, validators=[_TWELVE_DIGITS]
    )
    name = models.CharField(_("name"), max_length=500, blank=True)
    # The account an information-system certificate of the organisation signs
    # in as, when the role policy lets such certificates in at all.
    system_user = models.OneToOneField(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="system_organisation",
        verbose_name=_("information system account"),
    )
    is_blocked = models.BooleanField(_("blocked"), default=False)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    blocked_reason = models.CharField(
        _("reason for blocking"), max_length=300, blank=True
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ("name", "bin")

    def __str__(self) -> str:
        return f"{self.name} ({self.bin})"


class Membership(models.Model):
    """A person acting for an organisation, with the employee roles of their
    latest certificate (values of kabinet.pki.certificate.EmployeeRole)."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    employee_roles = models.JSONField(_("employee roles"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    last_login_at = models.DateTimeField(_("last login"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = (
            models.UniqueConstraint(
                fields=["person", "organisation"], name="membership_person_organisation"
            ),
        )

    def __str__(self) -> str:
        return f"{self.person.iin} @ {self.organisation.bin}"


class SessionEndReason(models.TextChoices):
    """Why a session stopped being usable."""

    LOGOUT = "logout", _("logged out")
    ENDED_BY_USER = "ended_by_user", _("ended from another session")
    ENDED_BY_STAFF = "ended_by_staff", _("ended by staff")
    IDLE = "idle", _("idle timeout")
    ABSOLUTE = "absolute", _("maximum session length reached")
    CERTIFICATE_EXPIRED = "certificate_expired", _("certificate expired")
    BLOCKED = "blocked", _("account or organisation blocked")
    REPLACED = "replaced", _("replaced by a new login")


class SessionRecord(models.Model):
    """A cabinet session as its owner sees it in "active sessions".

    Keyed by the SHA-256 of the session key, never the key itself, so this
    table cannot be used to take over a session. Ending a record ends the
    session: the session guard checks it on every request.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="session_records",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    method = models.CharField(
        _("login method"), max_length=10, choices=LoginMethod.choices
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="session_records",
        verbose_name=_("organisation"),
    )
    certificate_serial = models.CharField(_("certificate serial"), max_length=80)
    certificate_not_before = models.DateTimeField(_("certificate valid from"))
    certificate_not_after = models.DateTimeField(_("certificate valid until"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("started at"))
    last_seen_at = models.DateTimeField(_("last activity"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=30, choices=SessionEndReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ("-created_at",)
        indexes = (
            models.Index(fields=["user", "ended_at"], name="session_user_ended"),
        )

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.created_at:%Y-%m-%d %H:%M}"
