"""Where every login method ends: a verified signer becomes a session.

``authorize`` decides whether the signer may act in the chosen role and finds
(or creates) the account; ``start_session`` turns the answer into a fresh
session. The ЭЦП login calls both, and so does the QR login: the rules of
who gets in live here once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest

from kabinet.accounts import registry
from kabinet.accounts.models import (
    Membership,
    Organisation,
    Person,
    SessionEndReason,
    SessionRecord,
    User,
)
from kabinet.accounts.roles import LoginMethod, Role
from kabinet.accounts.sessions import end_session_record, open_session_record
from kabinet.login.client import RequestMeta
from kabinet.login.errors import AccountBlocked, OrganisationBlocked
from kabinet.login.ratelimit import require_iin_under_limit
from kabinet.login.roles import policy_for, require_identity_complete, require_role_fits
from kabinet.pki._time import require_aware
from kabinet.pki.certificate import Certificate, Identity, SubjectType
from kabinet.pki.verifier import VerifiedSignature

logger = logging.getLogger(__name__)

# The session remembers the backend that signed it in (settings'
# AUTHENTICATION_BACKENDS); certificate logins never use its password check.
_BACKEND = "kabinet.login.staff.ThrottledModelBackend"


@dataclass(frozen=True)
class Authorization:
    """A signer allowed in: the account, who they act as, and with what.

    ``person`` is None only for an information system's certificate, when
    the policy lets one in; ``organisation`` is None for an individual.
    """

    user: User
    person: Person | None
    organisation: Organisation | None
    membership: Membership | None
    role: Role
    method: LoginMethod
    certificate: Certificate
    identity: Identity


def authorize(
    verified: VerifiedSignature,
    role: Role,
    *,
    method: LoginMethod,
    request_meta: RequestMeta,
    at: datetime,
) -> Authorization:
    """Check the verified signer against the role and blocking; record them.

    The first login creates the person, the organisation and the membership;
    later ones bring names and employee roles up to date. A refused signer
    changes nothing.

    Raises:
        IdentityIncomplete, RoleNotAllowed, EmployeeRoleNotAllowed,
        RateLimited, AccountBlocked, OrganisationBlocked.
    """
    at = require_aware(at)
    identity = verified.identity

    require_identity_complete(identity)

    require_role_fits(identity, policy=policy_for(role))

    require_iin_under_limit(identity.iin, bin_=identity.bin, at=at)

    with transaction.atomic():
        authorization = _record_signer(verified, role, method=method, at=at)

    logger.info(
        "Signer authorized: role=%s method=%s subject=%s serial=%s ip=%s",
        role.value,
        method.value,
        identity.subject_type.value,
        verified.signer.serial_hex,
        request_meta.ip,
    )
    return authorization


def _record_signer(
    verified: VerifiedSignature, role: Role, *, method: LoginMethod, at: datetime
) -> Authorization:
    identity = verified.identity
    person: Person | None = None
    organisation: Organisation | None = None

    # Blocking is checked on the locked rows before anything is written, so a
    # blocked subject's names and memberships stay as staff left them.
    if identity.subject_type is not SubjectType.INFORMATION_SYSTEM:
        assert identity.iin is not None  # require_identity_complete
        person = registry.lock_person(identity.iin)
        if person is not None and person.is_blocked:
            raise AccountBlocked(
                f"person with certificate {verified.signer.serial_hex} is blocked"
            )
    if identity.bin is not None:
        organisation = registry.lock_organisation(identity.bin)
        if organisation is not None and organisation.is_blocked:
            raise OrganisationBlocked(f"organisation {identity.bin} is blocked")

    if identity.bin is not None:
        organisation = registry.upsert_organisation(
            registry.OrganisationDetails(
                bin=identity.bin, name=identity.organisation or ""
            ),
            at=at,
        )

    if identity.subject_type is SubjectType.INFORMATION_SYSTEM:
        assert organisation is not None  # require_identity_complete
        return Authorization(
            user=registry.system_user_for(organisation),
            person=None,
            organisation=organisation,
            membership=None,
            role=role,
            method=method,
            certificate=verified.signer,
            identity=identity,
        )

    assert identity.iin is not None
    person = registry.upsert_person(
        registry.PersonDetails(
            iin=identity.iin,
            surname=identity.surname or "",
            first_name=identity.first_name or "",
            patronymic=identity.patronymic or "",
            common_name=identity.common_name or "",
            email=identity.email or "",
        ),
        at=at,
    )
    membership = None
    if organisation is not None:
        membership = registry.upsert_membership(
            person,
            organisation,
            employee_roles=[kind.value for kind in identity.employee_roles],
            at=at,
        )
    return Authorization(
        user=person.user,
        person=person,
        organisation=organisation,
        membership=membership,
        role=role,
        method=method,
        certificate=verified.signer,
        identity=identity,
    )


def start_session(
    request: HttpRequest,
    authorization: Authorization,
    *,
    request_meta: RequestMeta,
    at: datetime,
) -> SessionRecord:
    """Open a fresh session for the authorized signer.

    Whatever the browser's session held before (an earlier login, the
    challenge secret) is discarded and the session key replaced, so a key
    known before the login is worthless after it.
    """
    at = require_aware(at)
    if request.user.is_authenticated:
        end_session_record(
            request.session.session_key, reason=SessionEndReason.REPLACED, at=at
        )
    request.session.flush()
    login(request, authorization.user, backend=_BACKEND)
    certificate = authorization.certificate
    record = open_session_record(
        request.session,
        user=authorization.user,
        role=authorization.role,
        method=authorization.method,
        organisation=authorization.organisation,
        certificate_serial=certificate.serial_hex,
        certificate_not_before=certificate.not_before,
        certificate_not_after=certificate.not_after,
        ip=request_meta.ip,
        user_agent=request_meta.user_agent,
        at=at,
    )
    logger.info(
        "Session started: user=%s role=%s method=%s",
        authorization.user.pk,
        authorization.role.value,
        authorization.method.value,
    )
    return record
