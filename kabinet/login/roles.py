"""Which certificates each role accepts: the role policy.

The defaults follow the cabinet's roles: an applicant and an external expert
act for a legal entity, a candidate is a private individual, a project
participant may be either. Any employee of a legal entity may act for it
unless the policy names the employee roles that may; information-system
certificates are accepted by no role unless the policy adds
``information_system`` to a role's subject types.

``KABINET_ROLE_POLICY`` (JSON) overrides a role's policy field by field::

    {"applicant": {"subject_types": ["legal_entity"],
                   "employee_roles": ["first_head", "signer"]},
     "participant": {"employee_roles": null}}

``employee_roles`` null (or absent) means any employee. The setting is
checked when the application starts (``LoginConfig.ready``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kabinet.accounts.roles import ROLE_DESCRIPTIONS, Role, parse_role
from kabinet.login.errors import (
    EmployeeRoleNotAllowed,
    IdentityIncomplete,
    RoleNotAllowed,
)
from kabinet.pki import oids
from kabinet.pki.certificate import EmployeeRole, Identity, SubjectType

__all__ = [
    "ROLE_DESCRIPTIONS",
    "Role",
    "RolePolicy",
    "build_role_policies",
    "ncalayer_key_filter",
    "parse_role",
    "policy_for",
    "require_identity_complete",
    "require_role_fits",
    "role_policies",
]

_SETTING = "KABINET_ROLE_POLICY"
_TWELVE_DIGITS = re.compile(r"[0-9]{12}")


@dataclass(frozen=True)
class RolePolicy:
    """The certificates a role accepts.

    ``allowed_employee_roles`` None means any employee of a legal entity may
    act for it; otherwise the certificate must carry at least one of them.
    """

    role: Role
    accepted_subject_types: frozenset[SubjectType]
    allowed_employee_roles: frozenset[EmployeeRole] | None = None


_DEFAULT_SUBJECT_TYPES: Mapping[Role, frozenset[SubjectType]] = {
    Role.APPLICANT: frozenset({SubjectType.LEGAL_ENTITY}),
    Role.PARTICIPANT: frozenset({SubjectType.LEGAL_ENTITY, SubjectType.INDIVIDUAL}),
    Role.EXPERT: frozenset({SubjectType.LEGAL_ENTITY}),
    Role.CANDIDATE: frozenset({SubjectType.INDIVIDUAL}),
}

_EMPLOYEE_ROLE_OIDS: Mapping[EmployeeRole, str] = {
    EmployeeRole.FIRST_HEAD: oids.ROLE_FIRST_HEAD,
    EmployeeRole.SIGNER: oids.ROLE_SIGNER,
    EmployeeRole.FINANCIAL_SIGNER: oids.ROLE_FINANCIAL_SIGNER,
    EmployeeRole.HR: oids.ROLE_HR,
    EmployeeRole.EMPLOYEE: oids.ROLE_EMPLOYEE,
}


def build_role_policies(raw: Mapping[str, Any]) -> Mapping[Role, RolePolicy]:
    """The policy of every role: the defaults with ``raw``'s overrides.

    Raises:
        ImproperlyConfigured: naming KABINET_ROLE_POLICY and what is wrong.
    """
    unknown_roles = sorted(set(raw) - {role.value for role in Role})
    if unknown_roles:
        raise ImproperlyConfigured(
            f"{_SETTING}: unknown role(s) {unknown_roles}; "
            f"expected some of {[role.value for role in Role]}"
        )

    policies: dict[Role, RolePolicy] = {}
    for role in Role:
        override = raw.get(role.value, {})
        if not isinstance(override, Mapping):
            raise ImproperlyConfigured(
                f"{_SETTING}: {role.value} must map to an object"
            )
        unknown_fields = sorted(set(override) - {"subject_types", "employee_roles"})
        if unknown_fields:
            raise ImproperlyConfigured(
                f"{_SETTING}: {role.value} has unknown field(s) {unknown_fields}; "
                "expected subject_types, employee_roles"
            )
        subject_types = _DEFAULT_SUBJECT_TYPES[role]
        if "subject_types" in override:
            subject_types = _subject_types(role, override["subject_types"])
        employee_roles = None
        if override.get("employee_roles") is not None:
            employee_roles = _employee_roles(role, override["employee_roles"])
        policies[role] = RolePolicy(
            role=role,
            accepted_subject_types=subject_types,
            allowed_employee_roles=employee_roles,
        )
    return policies


def _subject_types(role: Role, value: object) -> frozenset[SubjectType]:
    if not isinstance(value, list) or not value:
        raise ImproperlyConfigured(
            f"{_SETTING}: {role.value}.subject_types must be a non-empty list"
        )
    try:
        return frozenset(SubjectType(item) for item in value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{_SETTING}: {role.value}.subject_types has an unknown type in {value}; "
            f"expected some of {[kind.value for kind in SubjectType]}"
        ) from None


def _employee_roles(role: Role, value: object) -> frozenset[EmployeeRole]:
    if not isinstance(value, list) or not value:
        raise ImproperlyConfigured(
            f"{_SETTING}: {role.value}.employee_roles must be null or a non-empty list"
        )
    try:
        return frozenset(EmployeeRole(item) for item in value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{_SETTING}: {role.value}.employee_roles has an unknown role in {value}; "
            f"expected some of {[kind.value for kind in EmployeeRole]}"
        ) from None


@cache
def role_policies() -> Mapping[Role, RolePolicy]:
    """The policies from settings, built once per process."""
    return build_role_policies(settings.KABINET_ROLE_POLICY)


def policy_for(role: Role) -> RolePolicy:
    """The policy of one role."""
    return role_policies()[role]


def require_identity_complete(identity: Identity) -> None:
    """Require the numbers the identity's subject type must carry.

    Raises:
        IdentityIncomplete: a person without a 12-digit IIN, a legal entity's
            employee or an information system without a 12-digit BIN.
    """
    needs_iin = identity.subject_type in (
        SubjectType.INDIVIDUAL,
        SubjectType.LEGAL_ENTITY,
    )
    needs_bin = identity.subject_type in (
        SubjectType.LEGAL_ENTITY,
        SubjectType.INFORMATION_SYSTEM,
    )
    if needs_iin and not _is_twelve_digits(identity.iin):
        raise IdentityIncomplete(
            f"{identity.subject_type.value} certificate carries no valid IIN"
        )
    if needs_bin and not _is_twelve_digits(identity.bin):
        raise IdentityIncomplete(
            f"{identity.subject_type.value} certificate carries no valid BIN"
        )


def _is_twelve_digits(value: str | None) -> bool:
    return value is not None and _TWELVE_DIGITS.fullmatch(value) is not None


def require_role_fits(identity: Identity, *, policy: RolePolicy) -> None:
    """Require the certificate's subject to be one the role accepts.

    Raises:
        RoleNotAllowed: the subject type is not among the accepted ones.
        EmployeeRoleNotAllowed: an employee certificate carries none of the
            employee roles the policy names.
    """
    if identity.subject_type not in policy.accepted_subject_types:
        raise RoleNotAllowed(
            f"role {policy.role.value} accepts "
            f"{sorted(kind.value for kind in policy.accepted_subject_types)}, "
            f"the certificate is {identity.subject_type.value}"
        )

    if (
        identity.subject_type is SubjectType.LEGAL_ENTITY
        and policy.allowed_employee_roles is not None
        and not identity.employee_roles & policy.allowed_employee_roles
    ):
        raise EmployeeRoleNotAllowed(
            f"role {policy.role.value} accepts employees with "
            f"{sorted(kind.value for kind in policy.allowed_employee_roles)}, the "
            f"certificate has {sorted(kind.value for kind in identity.employee_roles)}"
        )


def ncalayer_key_filter(policy: RolePolicy) -> list[str]:
    """The ``signerParams.extKeyUsageOids`` that make NCALayer offer fitting keys.

    NCALayer enables a key only when its certificate carries every listed
    OID (nca-pki.md 3.2), so the list can express "individual" or "employee
    of a legal entity", and one employee role, but not a choice between them:
    a role that accepts several kinds gets no filter and the server decides.
    clientAuth is never asked for: current GOST-2015 certificates do not
    carry it (nca-pki.md 0.2).
    """
    kinds = policy.accepted_subject_types
    if kinds == {SubjectType.INDIVIDUAL}:
        return [oids.ROLE_INDIVIDUAL]
    if kinds == {SubjectType.LEGAL_ENTITY}:
        allowed = policy.allowed_employee_roles
        if allowed is not None and len(allowed) == 1:
            (only,) = allowed
            return [oids.ROLE_LEGAL_ENTITY, _EMPLOYEE_ROLE_OIDS[only]]
        return [oids.ROLE_LEGAL_ENTITY]
    return []
