"""The roles a user works in, and the ways into the cabinet.

Both the login (which checks a certificate against a role) and the cabinet
(which shows the role's sections) need the roles, so they live here, below
both. Which certificates a role accepts is the login's policy
(``kabinet.login.roles``).
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The four roles of the cabinet; the value is the stable id in the API."""

    APPLICANT = "applicant", _("Applicant")
    PARTICIPANT = "participant", _("Project participant")
    EXPERT = "expert", _("External expert (financial and technical consultant)")
    CANDIDATE = "candidate", _("Job or internship candidate")


ROLE_DESCRIPTIONS: dict[Role, Promise] = {
    Role.APPLICANT: _(
        "Concludes agreements and files credit applications: investment "
        "projects, export operations, interbank lending, financing through "
        "subsidiaries."
    ),
    Role.PARTICIPANT: _(
        "A counterparty other than the borrower who signs documents when "
        "contracts are concluded for approved projects."
    ),
    Role.EXPERT: _("Applies for accreditation to monitor and manage project costs."),
    Role.CANDIDATE: _(
        "Views vacancies, responds, takes tests, passes checks and signs the "
        "employment contract."
    ),
}


class LoginMethod(models.TextChoices):
    """How a session was opened."""

    EDS = "eds", _("Digital signature (NCALayer)")
    QR = "qr", _("QR code (eGov Mobile / eGov Business)")


def parse_role(value: object) -> Role | None:
    """The role with this id, or None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return Role(value)
    except ValueError:
        return None
