"""The ЭЦП login: a CMS made by NCALayer over the challenge the server issued.

The page asks NCALayer for an attached CMS (``kz.gov.pki.knca.basics``,
``sign``, format ``cms``) over the challenge statement and sends it back with
the challenge id. :func:`verify_eds_login` is the whole server-side check, in
checklist order; identity comes only from the certificate that passed it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.sessions.backends.base import SessionBase

from kabinet.accounts.roles import LoginMethod, Role
from kabinet.login.audit import AttemptTrail
from kabinet.login.challenge import (
    consume_challenge,
    require_not_expired,
    require_same_session,
    require_statement_matches,
)
from kabinet.login.verification import get_verifier
from kabinet.pki.errors import PkiError
from kabinet.pki.verifier import VerifiedSignature

logger = logging.getLogger(__name__)


def verify_eds_login(
    *,
    challenge_id: str,
    signature: bytes,
    session: SessionBase,
    at: datetime,
    trail: AttemptTrail,
) -> tuple[Role, VerifiedSignature]:
    """Check one ЭЦП login submission.

    Args:
        challenge_id: the id the challenge was issued under.
        signature: the CMS as NCALayer returned it (PEM, base64 or DER).
        session: the browser session that submits it.
        at: the time of the submission; certificates must be valid then.
        trail: collects the role and certificate for the audit log.

    Returns:
        The role the challenge was issued for, and the verified signature.

    Raises:
        PkiError: ChallengeNotFound, ChallengeUsed, ChallengeForeignSession,
            ChallengeExpired, any failure of the verification core, or
            ContentMismatch when the signed bytes are not the challenge.
    """
    # Used up before anything else is looked at: whatever happens next, this
    # challenge cannot be tried a second time.
    challenge = consume_challenge(challenge_id, method=LoginMethod.EDS, at=at)
    trail.role = challenge.role

    require_same_session(challenge, session=session)

    require_not_expired(challenge, at=at)

    try:
        verified = get_verifier().verify_cms(signature, at=at)
    except PkiError as error:
        trail.saw_refused_signer(error)
        raise
    trail.saw_certificate(verified.signer, verified=False)

    require_statement_matches(verified.content, expected_statement=challenge.statement)
    # Only a signature over this very challenge shows the signer took part in
    # this attempt. A valid signature over anything else is a document anyone
    # who received it can replay; counted as the signer's attempt, it would
    # let them exhaust the signer's per-IIN limit.
    trail.saw_certificate(verified.signer, verified=True)

    return Role(challenge.role), verified
