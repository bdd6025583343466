"""The QR login's rows: one per code shown, in the database for all workers.

A code is tied to a :class:`kabinet.login.models.Challenge` of method
``qr``, which carries what every login shares: the role, the browser
session it is bound to, the expiry, the client address the rate limits
count, and the single use (``used_at``, set by the first PUT of API 2).
The row here adds what only the QR protocol needs.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Membership, Organisation, User
from kabinet.login.models import Challenge


class QrState(models.TextChoices):
    """Where a code is. ``expired`` is not stored: it follows from the time."""

    WAITING = "waiting", _("waiting")  # shown, not scanned yet
    SCANNED = "scanned", _("scanned")  # the app read API 1
    SIGNED = "signed", _("signed")  # accepted; the browser has not picked it up
    COMPLETED = "completed", _("completed")  # the browser's session is open
    REJECTED = "rejected", _("rejected")  # declined or refused; see error_code


class QrLogin(models.Model):
    """One QR code shown to one browser session.

    ``id_hash`` is the SHA-256 of the id in the code's URLs (the id itself
    is a bearer secret and is not stored), ``token_hash`` that of the last
    token API 1 handed out. ``document_xml`` is the document API 2 issued,
    exactly. After an accepted PUT the signer's account and certificate
    wait here for the browser to pick them up. ``finished_at`` is when the
    PUT was decided, ``completed_at`` when the browser's session opened.
    """

    id_hash = models.CharField(primary_key=True, max_length=64)
    challenge = models.OneToOneField(
        Challenge, on_delete=models.CASCADE, related_name="qr_login"
    )
    document_xml = models.TextField()
    token_hash = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        max_length=10, choices=QrState.choices, default=QrState.WAITING
    )
    error_code = models.CharField(max_length=60, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    signer_certificate = models.BinaryField(null=True, blank=True)

    def __repr__(self) -> str:
        # No id, hash or token: the log needs only where the code is.
        return f"QrLogin(state={self.state!r}, error_code={self.error_code!r})"
