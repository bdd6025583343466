"""The life of one QR code: issued, scanned, decided, picked up.

Each step is a single conditional UPDATE, so that whichever worker process
receives the app's call or the browser's poll, the database lets exactly
one of racing requests make a transition. The single use of the code is
the challenge's (``consume_challenge``): only the request that used it up
may record the outcome.

States seen by the page (:class:`PublicState`)::

    waiting --API 1--> scanned --PUT accepted--> signed --poll--> (session)
                              \\--PUT refused or declined--> rejected
    waiting / scanned --time--> expired;  signed, not picked up --time--> expired
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from django.contrib.sessions.backends.base import SessionBase

from kabinet.accounts.models import Person
from kabinet.accounts.roles import LoginMethod, Role
from kabinet.login.challenge import (
    BASE64URL_ALPHABET,
    issue_challenge,
    secret_hash,
)
from kabinet.login.errors import ChallengeExpired, ChallengeNotFound, ChallengeUsed
from kabinet.login.models import Challenge
from kabinet.login.qr.errors import QrTokenInvalid, QrTokenMissing
from kabinet.login.qr.models import QrLogin, QrState
from kabinet.login.qr.protocol import app_links, login_document, qr_text
from kabinet.login.signin import Authorization
from kabinet.pki._time import require_aware
from kabinet.pki.certificate import Certificate

logger = logging.getLogger(__name__)

# The id in the code's URLs is the bearer secret of the whole exchange
# (egov-qr.md 7, bearer secrets in URLs): 256 random bits.
ID_BYTES = 32
TOKEN_BYTES = 32
# base64url of 32 bytes without padding.
_ID_LENGTH = 43
_MAX_TOKEN_LENGTH = 256
_NO_TOKEN_HASH = "0" * 64

# An accepted login waits this long for its browser: enough for a poll
# from a tab the browser throttles in the background.
PICKUP_WINDOW = timedelta(seconds=120)
# A PUT that used the code up but recorded no outcome (its worker died)
# stops showing as "scanned" this long after the code's expiry.
ABANDONED_AFTER = timedelta(seconds=60)


class PublicState(Enum):
    """The state the page is told."""

    WAITING = "waiting"
    SCANNED = "scanned"
    SIGNED = "signed"
    EXPIRED = "expired"
    REJECTED = "rejected"


@dataclass(frozen=True)
class IssuedQrLogin:
    """What the page gets for a new code. ``id`` is a bearer secret."""

    id: str
    qr: str
    links: dict[str, str]
    expires_at: datetime

    def __repr__(self) -> str:
        return f"IssuedQrLogin(expires_at={self.expires_at!r})"


def issue_qr_login(
    session: SessionBase, *, role: Role, client_ip: str | None, at: datetime
) -> IssuedQrLogin:
    """A new code for this browser session and role.

    The challenge behind it binds the code to the session, sets its expiry
    and is counted by the rate limit on challenges per address.
    """
    at = require_aware(at)
    issued = issue_challenge(
        session, role=role, method=LoginMethod.QR, client_ip=client_ip, at=at
    )
    public_id = secrets.token_urlsafe(ID_BYTES)
    QrLogin.objects.create(
        id_hash=secret_hash(public_id),
        challenge_id=issued.id,
        document_xml=login_document(issued.data),
    )
    logger.info("QR code issued: role=%s", role.value)
    return IssuedQrLogin(
        id=public_id,
        qr=qr_text(public_id),
        links=app_links(public_id),
        expires_at=issued.expires_at,
    )


def find_qr_login(public_id: str) -> QrLogin:
    """The code with this id, with its challenge.

    Raises:
        ChallengeNotFound: the id is not of the issued form or unknown (or
            its rows were cleaned away).
    """
    if len(public_id) != _ID_LENGTH or not set(public_id) <= BASE64URL_ALPHABET:
        raise ChallengeNotFound("QR id is not of the issued form")
    login = (
        QrLogin.objects.select_related("challenge")
        .filter(pk=secret_hash(public_id))
        .first()
    )
    if login is None:
        raise ChallengeNotFound("no QR code has this id")
    return login


def hand_out_token(login: QrLogin, *, at: datetime) -> str:
    """Mark the code scanned and issue a fresh API 2 token (only its hash is
    kept). Reading API 1 again replaces the token, so only the latest works.

    Raises:
        ChallengeExpired: the code has expired.
        ChallengeUsed: a PUT already used the code up.
    """
    at = require_aware(at)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    token_hash = secret_hash(token)
    updated = QrLogin.objects.filter(
        pk=login.pk,
        state__in=(QrState.WAITING, QrState.SCANNED),
        challenge__used_at__isnull=True,
        challenge__expires_at__gt=at,
    ).update(state=QrState.SCANNED, token_hash=token_hash, scanned_at=at)
    if updated != 1:
        challenge = Challenge.objects.get(pk=login.challenge_id)
        require_open(challenge, at=at)
        raise ChallengeUsed("the QR code is no longer waiting for the app")
    login.state, login.token_hash, login.scanned_at = QrState.SCANNED, token_hash, at
    logger.info("QR code scanned: role=%s", login.challenge.role)
    return token


def require_open(challenge: Challenge, *, at: datetime) -> None:
    """Require the code to be neither used up nor expired.

    Raises:
        ChallengeUsed: a PUT already used the code up.
        ChallengeExpired: ``at`` is at or after the code's expiry.
    """
    if challenge.used_at is not None:
        raise ChallengeUsed("the QR code was used by an earlier PUT")
    if require_aware(at) >= challenge.expires_at:
        raise ChallengeExpired(
            f"the QR code expired at {challenge.expires_at.isoformat()}"
        )


def require_bearer_token(login: QrLogin, *, authorization: str | None) -> None:
    """Require the token API 1 handed out last (NIT QR spec, auth_type Token:
    ``Authorization: Bearer <auth_token>`` on every API 2 call).

    Raises:
        QrTokenMissing: no Authorization header, or not a Bearer one.
        QrTokenInvalid: any other token, or none handed out yet.
    """
    scheme, _, presented = (authorization or "").strip().partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        raise QrTokenMissing("API 2 call without a Bearer token")
    if len(presented) > _MAX_TOKEN_LENGTH:
        raise QrTokenInvalid("the Bearer token is longer than any issued one")
    # Compared in constant time, against a value no token hashes to when
    # none was handed out, so every refusal does the same work.
    expected = login.token_hash or _NO_TOKEN_HASH
    if not hmac.compare_digest(secret_hash(presented), expected):
        raise QrTokenInvalid("the Bearer token is not the one API 1 handed out")


def record_signed(
    login: QrLogin, authorization: Authorization, *, at: datetime
) -> None:
    """Keep the accepted signer for the browser to pick up."""
    updated = QrLogin.objects.filter(
        pk=login.pk, state__in=(QrState.WAITING, QrState.SCANNED)
    ).update(
        state=QrState.SIGNED,
        finished_at=at,
        user=authorization.user,
        organisation=authorization.organisation,
        membership=authorization.membership,
        signer_certificate=authorization.certificate.der,
    )
    if updated != 1:
        logger.error("QR code changed state while its PUT was being checked")
    logger.info("QR code signed: role=%s", authorization.role.value)


def record_rejected(login: QrLogin, *, code: str, at: datetime) -> None:
    """Note why the PUT was refused (or declined), for the page to say."""
    QrLogin.objects.filter(
        pk=login.pk, state__in=(QrState.WAITING, QrState.SCANNED)
    ).update(state=QrState.REJECTED, finished_at=at, error_code=code[:60])
    logger.info("QR code rejected: role=%s code=%s", login.challenge.role, code)


def state_of(login: QrLogin, *, at: datetime) -> PublicState:
    """The state to tell the page at ``at``."""
    at = require_aware(at)
    if login.state == QrState.REJECTED:
        return PublicState.REJECTED
    if login.state in (QrState.SIGNED, QrState.COMPLETED):
        finished = login.finished_at
        if finished is None or at >= finished + PICKUP_WINDOW:
            return PublicState.EXPIRED
        return PublicState.SIGNED
    challenge = login.challenge
    deadline = challenge.expires_at
    if challenge.used_at is not None:
        deadline += ABANDONED_AFTER
    if at >= deadline:
        return PublicState.EXPIRED
    if login.state == QrState.SCANNED or challenge.used_at is not None:
        return PublicState.SCANNED
    return PublicState.WAITING


def pick_up(login: QrLogin, *, at: datetime) -> Authorization | None:
    """Take the accepted signer for the polling browser, once.

    Returns:
        The authorization to open the session with, or None when another
        poll took it first or the pick-up window has passed.
    """
    at = require_aware(at)
    won = QrLogin.objects.filter(
        pk=login.pk, state=QrState.SIGNED, finished_at__gt=at - PICKUP_WINDOW
    ).update(state=QrState.COMPLETED, completed_at=at)
    if won != 1:
        return None
    login = QrLogin.objects.select_related(
        "challenge", "user", "organisation", "membership"
    ).get(pk=login.pk)
    if login.user is None or login.signer_certificate is None:
        raise RuntimeError("a signed QR code without its signer")
    certificate = Certificate.load(bytes(login.signer_certificate))
    return Authorization(
        user=login.user,
        person=Person.objects.filter(user=login.user).first(),
        organisation=login.organisation,
        membership=login.membership,
        role=Role(login.challenge.role),
        method=LoginMethod.QR,
        certificate=certificate,
        identity=certificate.identity,
    )
