"""What the login keeps in the database: challenges, the audit log and the
failed staff sign-ins.

All live in the database so that several worker processes behave as one: a
challenge issued by one worker is used up by whichever receives the
signature, and the rate limits count attempts from all of them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.roles import LoginMethod, Role


class Challenge(models.Model):
    """A statement the server asked a browser session to sign, once.

    ``binding_hash`` is the SHA-256 of a secret kept in the session that asked
    for the challenge (not of the session key, which rotates at login).
    ``used_at`` is set by the first attempt, successful or not, in a single
    conditional UPDATE.
    """

    id = models.CharField(primary_key=True, max_length=32)
    method = models.CharField(max_length=10, choices=LoginMethod.choices)
    role = models.CharField(max_length=20, choices=Role.choices)
    binding_hash = models.CharField(max_length=64)
    statement = models.TextField()
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    # kabinet.login.client.client_network of client_ip: what rate limits count.
    client_network = models.CharField(max_length=43, blank=True)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = (
            models.Index(
                fields=["client_network", "issued_at"], name="challenge_network_issued"
            ),
        )

    def __repr__(self) -> str:
        # The id is half of what a submission needs; keep it out of logs.
        return f"Challenge(role={self.role!r}, expires_at={self.expires_at!r})"


class AttemptResult(models.TextChoices):
    """How a login attempt ended."""

    SUCCESS = "success", _("success")
    FAILURE = "failure", _("failure")


class LoginAttempt(models.Model):
    """One login attempt, good or bad: the audit log.

    ``iin``, ``bin`` and the certificate fields are filled when a certificate
    was seen; ``certificate_verified`` says whether the chain checked out and
    the signature is over this attempt's own challenge. A forged certificate,
    or a genuine signature over other content, is recorded with its IIN but
    marked unverified, and does not count against that IIN's rate limit.
    """

    created_at = models.DateTimeField(_("time"), db_index=True)
    method = models.CharField(_("method"), max_length=10, choices=LoginMethod.choices)
    role = models.CharField(_("role"), max_length=20, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=AttemptResult.choices)
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    iin = models.CharField(_("IIN"), max_length=12, blank=True)
    bin = models.CharField(_("BIN"), max_length=12, blank=True)
    certificate_serial = models.CharField(
        _("certificate serial"), max_length=80, blank=True
    )
    certificate_subject = models.CharField(
        _("certificate subject"), max_length=500, blank=True
    )
    certificate_verified = models.BooleanField(_("certificate verified"), default=False)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # kabinet.login.client.client_network of ip: what rate limits count.
    network = models.CharField(max_length=43, blank=True, editable=False)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")
        ordering = ("-created_at",)
        indexes = (
            models.Index(fields=["ip", "created_at"], name="attempt_ip_created"),
            models.Index(
                fields=["network", "created_at"], name="attempt_network_created"
            ),
            models.Index(fields=["iin", "created_at"], name="attempt_iin_created"),
        )

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.method} {self.result}"


class StaffSignInFailure(models.Model):
    """A refused password sign-in to the admin, kept for the brake on
    guessing (``kabinet.login.staff``) and for staff to read.

    The user name is kept as typed; the password never is.
    """

    created_at = models.DateTimeField(_("time"), db_index=True)
    username = models.CharField(_("user name"), max_length=150)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # kabinet.login.client.client_network of ip: what rate limits count.
    network = models.CharField(max_length=43, editable=False)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("failed staff sign-in")
        verbose_name_plural = _("failed staff sign-ins")
        ordering = ("-created_at",)
        indexes = (
            models.Index(
                fields=["username", "created_at"], name="staff_failure_username"
            ),
            models.Index(
                fields=["network", "created_at"], name="staff_failure_network"
            ),
        )

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username}"
