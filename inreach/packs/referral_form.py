"""What a self-referral form says, as plain values: blank, or pre-filled for one man with the
reference (and its QR code) that "Enter paper forms" finds him by. Its questions follow the
tablet's capture form, so what is ticked on paper is typed in one field at a time."""

import segno

from ..cohorts.models import CohortMember
from ..directory.services import referable_services
from ..directory.vocabulary import PATHWAYS
from ..referrals.consent import current_wording
from ..referrals.models import CONSENT_METHODS, CONTACT_BY, HOUSING, NOTES_MAX


def qr_path(text: str) -> dict:
    """The QR code of the text as one SVG path (a square per dark module) and its size in
    modules, quiet zone included: plain values the template draws, no image to fetch."""
    code = segno.make_qr(text, error="m")
    border = 4
    squares = [f"M{x + border} {y + border}h1v1h-1z"
               for y, row in enumerate(code.matrix) for x, dark in enumerate(row) if dark]
    return {"path": "".join(squares), "size": code.symbol_size(border=border)[0]}


def questions() -> dict:
    """The parts of the form that are the same for every man: the referable services by
    pathway, the after-release questions and the consent wording he is read."""
    services = referable_services()
    wording = current_wording()
    by_pathway = [{"label": label, "services": [  # each service once, under its first pathway
        {"name": service.name, "next_steps": service.next_steps}
        for service in services if service.pathway_codes[:1] == [code]]}
        for code, label in PATHWAYS.items()]
    return {"pathways": [pathway for pathway in by_pathway if pathway["services"]],
            "housing": list(HOUSING.values()), "contact_by": list(CONTACT_BY.values()),
            "consent_methods": list(CONSENT_METHODS.values()), "notes_max": NOTES_MAX,
            "consent_text": wording.text, "consent_version": wording.version}


def blank_form(common: dict | None = None) -> dict:
    """A form to fill in by hand, for a man not on the cohort list."""
    return {**(common or questions()), "man": None}


def filled_form(member: CohortMember, common: dict | None = None) -> dict:
    """His form, pre-filled with who he is, the session and his reference."""
    person, session = member.person, member.session
    man = {"name": f"{person.first_name} {person.last_name}",
           "prison_number": person.prison_number, "release_date": person.release_date,
           "location": person.location, "prison_name": member.visit.prison.name,
           "visit_date": member.visit.date,
           "session": f"{session.label}, {session.starts_at:%H:%M}" if session else "",
           "reference": member.form_reference, "qr": qr_path(member.form_reference)}
    return {**(common or questions()), "man": man}
