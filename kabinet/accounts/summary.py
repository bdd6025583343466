"""Who is signed in, as the JSON API and the pages show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kabinet.accounts.models import Organisation, Person, SessionRecord
from kabinet.accounts.roles import LoginMethod, Role


@dataclass(frozen=True)
class SessionSummary:
    """The facts the main page and ``GET /api/me`` show about a session."""

    name: str
    iin: str | None
    email: str | None
    organisation_name: str | None
    organisation_bin: str | None
    role: Role
    method: LoginMethod
    certificate_serial: str
    certificate_not_before: datetime
    certificate_not_after: datetime
    started_at: datetime

    @classmethod
    def of(cls, record: SessionRecord) -> SessionSummary:
        person: Person | None = getattr(record.user, "person", None)
        organisation: Organisation | None = record.organisation
        if person is not None:
            name = person.full_name
        elif organisation is not None:
            name = organisation.name
        else:
            name = record.user.get_username()
        return cls(
            name=name,
            iin=None if person is None else person.iin,
            email=None if person is None or not person.email else person.email,
            organisation_name=None if organisation is None else organisation.name,
            organisation_bin=None if organisation is None else organisation.bin,
            role=Role(record.role),
            method=LoginMethod(record.method),
            certificate_serial=record.certificate_serial,
            certificate_not_before=record.certificate_not_before,
            certificate_not_after=record.certificate_not_after,
            started_at=record.created_at,
        )

    def as_json(self) -> dict[str, Any]:
        """The JSON object of ``GET /api/me`` (times in UTC, ISO 8601)."""
        organisation = None
        if self.organisation_bin is not None:
            organisation = {
                "bin": self.organisation_bin,
                "name": self.organisation_name,
            }
        return {
            "user": {"name": self.name, "iin": self.iin, "email": self.email},
            "organisation": organisation,
            "role": {"id": self.role.value, "name": str(self.role.label)},
            "method": {"id": self.method.value, "name": str(self.method.label)},
            "certificate": {
                "serial": self.certificate_serial,
                "valid_from": _iso(self.certificate_not_before),
                "valid_until": _iso(self.certificate_not_after),
            },
            "session": {"started_at": _iso(self.started_at)},
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
