"""The sections of the cabinet each role works in.

These name the parts of the bank's business a role deals with, as the roles
are described; what each section holds comes from the bank's own systems and
is outside this application.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.roles import Role


@dataclass(frozen=True)
class Section:
    """One section of the main page; ``id`` is stable for pages and tests."""

    id: str
    title: Promise
    description: Promise


SECTIONS: Mapping[Role, tuple[Section, ...]] = {
    Role.APPLICANT: (
        Section(
            "credit-applications",
            _("Credit applications"),
            _(
                "Applications for financing of investment projects and export "
                "operations."
            ),
        ),
        Section(
            "interbank-lending",
            _("Interbank lending"),
            _(
                "Applications for interbank loans and for financing through "
                "subsidiaries."
            ),
        ),
        Section(
            "agreements",
            _("Agreements"),
            _("Agreements with the bank: drafts to sign and concluded agreements."),
        ),
    ),
    Role.PARTICIPANT: (
        Section(
            "projects",
            _("Approved projects"),
            _("Projects in which you take part as a counterparty."),
        ),
        Section(
            "documents-to-sign",
            _("Documents to sign"),
            _("Contract documents awaiting your signature."),
        ),
        Section(
            "signed-documents",
            _("Signed documents"),
            _("Documents you have signed, with their signatures."),
        ),
    ),
    Role.EXPERT: (
        Section(
            "accreditation",
            _("Accreditation"),
            _("Apply for accreditation as a financial and technical consultant."),
        ),
        Section(
            "project-monitoring",
            _("Project monitoring"),
            _("Projects assigned to you for monitoring and cost management."),
        ),
        Section(
            "reports",
            _("Reports"),
            _("Monitoring reports submitted to the bank."),
        ),
    ),
    Role.CANDIDATE: (
        Section(
            "vacancies",
            _("Vacancies"),
            _("Open positions and internships at the bank."),
        ),
        Section(
            "responses",
            _("My responses"),
            _("Your responses to vacancies and where they stand."),
        ),
        Section(
            "tests-and-checks",
            _("Tests and checks"),
            _("Tests to take and checks to pass."),
        ),
        Section(
            "employment-contract",
            _("Employment contract"),
            _("The employment contract to sign."),
        ),
    ),
}
