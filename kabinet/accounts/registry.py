"""Creating, updating and blocking people and organisations.

The callers pass values taken from a verified certificate; this module does
not know about certificates. Functions that change rows expect to run inside
the caller's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from kabinet.accounts.models import Membership, Organisation, Person, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PersonDetails:
    """A person as a verified certificate names them."""

    iin: str
    surname: str
    first_name: str
    patronymic: str
    common_name: str
    email: str


@dataclass(frozen=True)
class OrganisationDetails:
    """An organisation as a verified certificate names it."""

    bin: str
    name: str


def lock_person(iin: str) -> Person | None:
    """The person with this IIN, locked for update until the transaction ends."""
    return (
        Person.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(iin=iin)
        .first()
    )


def lock_organisation(bin_: str) -> Organisation | None:
    """The organisation with this BIN, locked until the transaction ends."""
    return Organisation.objects.select_for_update().filter(bin=bin_).first()


def upsert_person(details: PersonDetails, *, at: datetime) -> Person:
    """Create the person on first login; later, bring the names up to date.

    An e-mail address missing from a newer certificate keeps the old one.
    """
    person = lock_person(details.iin)
    if person is None:
        person = _create_person(details, at=at)
        if person is not None:
            logger.info("Person created: iin=%s", details.iin)
            return person
        # Another worker created the same person a moment ago.
        person = lock_person(details.iin)
        if person is None:
            raise RuntimeError("person vanished while being created")

    person.surname = details.surname
    person.first_name = details.first_name
    person.patronymic = details.patronymic
    person.common_name = details.common_name
    if details.email:
        person.email = details.email
    person.updated_at = at
    person.last_login_at = at
    person.save()
    return person


def _create_person(details: PersonDetails, *, at: datetime) -> Person | None:
    try:
        with transaction.atomic():
            user = User(username=f"iin:{details.iin}")
            user.set_unusable_password()
            user.save()
            return Person.objects.create(
                user=user,
                iin=details.iin,
                surname=details.surname,
                first_name=details.first_name,
                patronymic=details.patronymic,
                common_name=details.common_name,
                email=details.email,
                created_at=at,
                updated_at=at,
                last_login_at=at,
            )
    except IntegrityError:
        return None


def upsert_organisation(details: OrganisationDetails, *, at: datetime) -> Organisation:
    """Create the organisation on first login; later, update its name."""
    organisation = lock_organisation(details.bin)
    if organisation is None:
        try:
            with transaction.atomic():
                organisation = Organisation.objects.create(
                    bin=details.bin, name=details.name, created_at=at, updated_at=at
                )
            logger.info("Organisation created: bin=%s", details.bin)
            return organisation
        except IntegrityError:
            organisation = lock_organisation(details.bin)
            if organisation is None:
                raise RuntimeError(
                    "organisation vanished while being created"
                ) from None

    if details.name and details.name != organisation.name:
        organisation.name = details.name
        organisation.updated_at = at
        organisation.save(update_fields=["name", "updated_at"])
    return organisation


def upsert_membership(
    person: Person,
    organisation: Organisation,
    *,
    employee_roles: list[str],
    at: datetime,
) -> Membership:
    """Record that the person acts for the organisation with these roles."""
    roles = sorted(set(employee_roles))
    membership, created = Membership.objects.get_or_create(
        person=person,
        organisation=organisation,
        defaults={
            "employee_roles": roles,
            "created_at": at,
            "updated_at": at,
            "last_login_at": at,
        },
    )
    if not created:
        membership.employee_roles = roles
        membership.updated_at = at
        membership.last_login_at = at
        membership.save(update_fields=["employee_roles", "updated_at", "last_login_at"])
    return membership


def system_user_for(organisation: Organisation) -> User:
    """The account the organisation's information-system certificates use."""
    if organisation.system_user is not None:
        return organisation.system_user
    user = User(username=f"bin:{organisation.bin}")
    user.set_unusable_password()
    user.save()
    organisation.system_user = user
    organisation.save(update_fields=["system_user"])
    return user


def block_person(person: Person, *, reason: str, at: datetime) -> None:
    """Stop the person from logging in; their open sessions end at once."""
    person.is_blocked = True
    person.blocked_at = at
    person.blocked_reason = reason
    person.updated_at = at
    person.save(
        update_fields=["is_blocked", "blocked_at", "blocked_reason", "updated_at"]
    )
    # An inactive user is no longer returned by the authentication backend,
    # so every session of the person stops being authenticated.
    User.objects.filter(pk=person.user_id).update(is_active=False)
    logger.warning("Person blocked: iin=%s", person.iin)


def unblock_person(person: Person, *, at: datetime) -> None:
    """Let a blocked person log in again."""
    person.is_blocked = False
    person.blocked_at = None
    person.blocked_reason = ""
    person.updated_at = at
    person.save(
        update_fields=["is_blocked", "blocked_at", "blocked_reason", "updated_at"]
    )
    User.objects.filter(pk=person.user_id).update(is_active=True)
    logger.warning("Person unblocked: iin=%s", person.iin)


def block_organisation(
    organisation: Organisation, *, reason: str, at: datetime
) -> None:
    """Stop everyone from acting for the organisation; open sessions end."""
    organisation.is_blocked = True
    organisation.blocked_at = at
    organisation.blocked_reason = reason
    organisation.updated_at = at
    organisation.save(
        update_fields=["is_blocked", "blocked_at", "blocked_reason", "updated_at"]
    )
    logger.warning("Organisation blocked: bin=%s", organisation.bin)


def unblock_organisation(organisation: Organisation, *, at: datetime) -> None:
    """Let people act for the organisation again."""
    organisation.is_blocked = False
    organisation.blocked_at = None
    organisation.blocked_reason = ""
    organisation.updated_at = at
    organisation.save(
        update_fields=["is_blocked", "blocked_at", "blocked_reason", "updated_at"]
    )
    logger.warning("Organisation unblocked: bin=%s", organisation.bin)
