"""Login challenges: issued to one browser session for one role, used once.

The bytes to sign are a short statement a person can read::

    kabinet login
    origin: https://cabinet.example.kz
    role: applicant
    nonce: <43 characters: 256 random bits, base64url without padding>
    issued: 2026-05-01T10:00:00Z

(UTF-8, each line ending in a newline.) The origin is ``KABINET_PUBLIC_URL``,
so a signature made for another site never matches here. What comes back
signed must equal these bytes exactly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from kabinet.accounts.roles import LoginMethod, Role
from kabinet.login.client import client_network
from kabinet.login.errors import (
    ChallengeExpired,
    ChallengeForeignSession,
    ChallengeNotFound,
    ChallengeUsed,
)
from kabinet.login.models import Challenge
from kabinet.pki._time import require_aware
from kabinet.pki.errors import ContentMismatch

logger = logging.getLogger(__name__)

NONCE_BYTES = 32
STATEMENT_PURPOSE = "kabinet login"
# The session entry holding the secret challenges are bound to.
SESSION_BINDING_KEY = "kabinet.login.binding"
# Used and expired challenges are kept this long for investigations, then
# deleted by the next issuance.
RETENTION = timedelta(days=1)
BASE64URL_ALPHABET = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)


@dataclass(frozen=True)
class IssuedChallenge:
    """What the browser gets: the id to send back and the bytes to sign."""

    id: str
    data: bytes
    expires_at: datetime


def build_statement(
    *, origin: str, role: Role, nonce: str, issued_at: datetime
) -> bytes:
    """The exact bytes a login signs."""
    issued = require_aware(issued_at, name="issued_at").strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        STATEMENT_PURPOSE,
        f"origin: {origin}",
        f"role: {role.value}",
        f"nonce: {nonce}",
        f"issued: {issued}",
    ]
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def session_binding(session: SessionBase) -> str:
    """The binding hash of the session, creating its secret on first use."""
    secret = session.get(SESSION_BINDING_KEY)
    if not isinstance(secret, str):
        secret = secrets.token_urlsafe(32)
        session[SESSION_BINDING_KEY] = secret
    return secret_hash(secret)


def secret_hash(secret: str) -> str:
    """What is stored of a secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_challenge(
    session: SessionBase,
    *,
    role: Role,
    method: LoginMethod,
    client_ip: str | None,
    at: datetime,
) -> IssuedChallenge:
    """Store a new challenge for this session and role."""
    at = require_aware(at)
    issued_at = at.replace(microsecond=0)
    nonce = (
        base64.urlsafe_b64encode(secrets.token_bytes(NONCE_BYTES)).rstrip(b"=").decode()
    )
    statement = build_statement(
        origin=settings.KABINET_PUBLIC_URL, role=role, nonce=nonce, issued_at=issued_at
    )
    expires_at = issued_at + timedelta(seconds=settings.KABINET_CHALLENGE_TTL_SECONDS)

    Challenge.objects.filter(expires_at__lt=at - RETENTION).delete()
    challenge = Challenge.objects.create(
        id=secrets.token_urlsafe(16),
        method=method.value,
        role=role.value,
        binding_hash=session_binding(session),
        statement=statement.decode("utf-8"),
        client_ip=client_ip,
        client_network=client_network(client_ip),
        issued_at=issued_at,
        expires_at=expires_at,
    )
    logger.info("Challenge issued: method=%s role=%s", method.value, role.value)
    return IssuedChallenge(id=challenge.id, data=statement, expires_at=expires_at)


def consume_challenge(
    challenge_id: str, *, method: LoginMethod, at: datetime
) -> Challenge:
    """Use the challenge up and return it; only the first caller gets it.

    The single conditional UPDATE is the whole guarantee: however many
    submissions race, the database lets exactly one of them change
    ``used_at`` from NULL.

    Raises:
        ChallengeNotFound: no challenge of this method has the id.
        ChallengeUsed: an earlier attempt already used it.
    """
    at = require_aware(at)
    if not _looks_like_id(challenge_id):
        raise ChallengeNotFound("challenge id is not of the issued form")

    won = Challenge.objects.filter(
        pk=challenge_id, method=method.value, used_at__isnull=True
    ).update(used_at=at)
    challenge = Challenge.objects.filter(pk=challenge_id, method=method.value).first()
    if challenge is None:
        raise ChallengeNotFound("no challenge has this id")
    if won != 1:
        raise ChallengeUsed("the challenge was used by an earlier attempt")
    return challenge


def _looks_like_id(value: str) -> bool:
    return 0 < len(value) <= 32 and set(value) <= BASE64URL_ALPHABET


def require_same_session(challenge: Challenge, *, session: SessionBase) -> None:
    """Require the challenge to come back from the session it was issued to.

    Raises:
        ChallengeForeignSession: the session holds no secret or another one.
    """
    secret = session.get(SESSION_BINDING_KEY)
    if not isinstance(secret, str):
        raise ChallengeForeignSession("the session never asked for a challenge")
    if not hmac.compare_digest(secret_hash(secret), challenge.binding_hash):
        raise ChallengeForeignSession("the challenge was issued to another session")


def require_not_expired(challenge: Challenge, *, at: datetime) -> None:
    """Require the challenge to be inside its lifetime.

    Raises:
        ChallengeExpired: ``at`` is at or after its expiry.
    """
    if require_aware(at) >= challenge.expires_at:
        raise ChallengeExpired(
            f"the challenge expired at {challenge.expires_at.isoformat()}"
        )


def require_statement_matches(content: bytes, *, expected_statement: str) -> None:
    """Require the signed content to be, byte for byte, the issued statement.

    Raises:
        ContentMismatch: the signed bytes differ.
    """
    if not hmac.compare_digest(content, expected_statement.encode("utf-8")):
        raise ContentMismatch(
            f"signed content ({len(content)} bytes) is not the issued challenge"
        )
