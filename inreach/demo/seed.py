"""Fictional demo data: an account per role, the flag that puts the demo banner on pages,
prisons, organisations, volunteers and their clearance, an upcoming visit with its cohort, the
directory, and a past visit whose referrals are being followed up (``past_visit``). Each seed_*
function adds only what is missing and returns what there is, so later seeds (e.g. a demo
visit) can build on them."""

from datetime import date, time, timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..accounts.roles import ROLES
from ..accounts.services import create_user
from ..cohorts.importing import confirm as import_prison_list
from ..cohorts.models import CohortMember
from ..cohorts.placement import run_allocation
from ..database import db, writes
from ..dates import today
from ..errors import DomainError
from ..prisons.models import Prison
from ..prisons.services import PrisonDetails, create_prison
from ..roster.services import add_to_roster
from ..site.models import DEMO, SiteSetting, is_demo
from ..visits.models import Visit
from ..visits.services import SessionDetails, VisitDetails, add_session, create_visit
from ..volunteers.models import Organisation, Volunteer
from ..volunteers.services import (
    ClearanceDetails,
    OrganisationDetails,
    VolunteerDetails,
    clearance_at,
    create_organisation,
    create_volunteer,
    record_clearance,
)
from .directory import seed_directory
from .past_visit import seed_past_visit
from .prison_list import prison_list_csv

DEFAULT_PASSWORD = "change-me-demo-only"  # noqa: S105  (published demo password, demo data only)
DEMO_NAMES = {
    "admin": "Ada Admin (demo)",
    "organiser": "Olu Organiser (demo)",
    "volunteer": "Val Volunteer (demo)",
    "auditor": "Aud Auditor (demo)",
}


def demo_email(role: str) -> str:
    """The demo login for a role."""
    return f"{role}@example.org"


@writes
def seed(password: str) -> list[str]:
    """Fill an empty or demo database with demo data; running it again changes nothing."""
    has_users = db.session.scalar(select(User.id).limit(1)) is not None
    if has_users and not is_demo():
        raise DomainError("not_demo", "This database holds real accounts; seed-demo only fills "
                                      "an empty database or one it filled before.")
    if not is_demo():
        db.session.add(SiteSetting(key=DEMO, value="yes"))
        db.session.commit()
    created = seed_accounts(password)
    prisons = seed_prisons()
    volunteers = seed_volunteers(seed_organisations())
    seed_clearances(prisons["WSI"], volunteers, today())
    visit = seed_visit(prisons["WSI"], volunteers, today())
    seed_cohort(visit, today())
    seed_directory()
    seed_past_visit(prisons["PVI"], today())
    return created


def seed_accounts(password: str) -> list[str]:
    """A login per role; returns the emails of those it had to add."""
    created = []
    for role in ROLES:
        email = demo_email(role)
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            create_user(email, DEMO_NAMES[role], role, password)
            created.append(email)
    return created


# Real prison names and codes; every contact detail is fictional (Ofcom's drama numbers).
DEMO_PRISONS = [
    ("WSI", "HMP Wormwood Scrubs", "020 7946 0101"),
    ("PVI", "HMP Pentonville", "020 7946 0202"),
    ("WWI", "HMP Wandsworth", "020 7946 0303"),
    ("BAI", "HMP Belmarsh", "020 7946 0404"),
    ("BXI", "HMP Brixton", "020 7946 0505"),
]
DEMO_VISITING_NOTES = (
    "ID: bring the photo ID named on your clearance (passport or driving licence).\n"
    "Not allowed: mobile phones, smartwatches, USB sticks, medication without approval.\n"
    "Arrival: at the gate 30 minutes before the first session; ask for the Employment Hub.\n"
    "(Fictional demo notes.)"
)
DEMO_ORGANISATIONS = [
    ("North Thames NHS Trust (demo)", "nhs_trust"),
    ("London Probation (demo)", "probation"),
    ("Second Chance Mentors (demo)", "charity"),
]
# name, organisation, job title, phone, clearance state at WSI; the first has the demo login.
DEMO_VOLUNTEERS = [
    (DEMO_NAMES["volunteer"], "North Thames NHS Trust (demo)", "IPS employment specialist",
     "020 7946 0611", "cleared"),
    ("Sam Okafor", "North Thames NHS Trust (demo)", "Talking therapies practitioner",
     "020 7946 0612", "cleared"),
    ("Jo Lindqvist", "London Probation (demo)", "Probation practitioner", "020 7946 0613",
     "cleared"),
    ("Ravi Menon", "Second Chance Mentors (demo)", "Peer mentor", "020 7946 0614", "cleared"),
    ("Bea Hartley", "Second Chance Mentors (demo)", "Housing adviser", "020 7946 0615",
     "submitted"),
    ("Tom Adeyemi", "London Probation (demo)", "Education, training and employment lead",
     "020 7946 0616", "not_started"),
]


def seed_prisons() -> dict[str, Prison]:
    """The five London prisons with fictional contacts, by code; adds only those missing."""
    for code, name, phone in DEMO_PRISONS:
        if db.session.scalar(select(Prison.id).where(Prison.code == code)) is None:
            create_prison(PrisonDetails(
                name=name, code=code, phone=phone, email=f"{code.lower()}.visits@example.org",
                address=f"Fictional demo address for {name}, London",
                visiting_notes=DEMO_VISITING_NOTES), actor_id=None)
    return {prison.code: prison for prison in db.session.scalars(select(Prison))}


def seed_organisations() -> dict[str, Organisation]:
    """The fictional organisations, by name; adds only those missing."""
    for name, kind in DEMO_ORGANISATIONS:
        if db.session.scalar(select(Organisation.id).where(Organisation.name == name)) is None:
            create_organisation(OrganisationDetails(name=name, kind=kind), actor_id=None)
    return {organisation.name: organisation
            for organisation in db.session.scalars(select(Organisation))}


def seed_volunteers(organisations: dict[str, Organisation]) -> dict[str, Volunteer]:
    """Six fictional volunteers, the first linked to the demo volunteer login, by name."""
    login = db.session.scalar(select(User.id).where(User.email == demo_email("volunteer")))
    for index, (name, organisation, job, phone, _) in enumerate(DEMO_VOLUNTEERS):
        if db.session.scalar(select(Volunteer.id).where(Volunteer.name == name)) is None:
            email = name.split(" (")[0].lower().replace(" ", ".") + "@example.org"
            create_volunteer(VolunteerDetails(
                name=name, organisation_id=organisations[organisation].id, job_title=job,
                email=email, phone=phone, user_id=login if index == 0 else None), actor_id=None)
    return {volunteer.name: volunteer for volunteer in db.session.scalars(select(Volunteer))}


def seed_clearances(prison: Prison, volunteers: dict[str, Volunteer], day: date) -> None:
    """Clearance at the prison: most cleared until long after ``day``, one submitted, one not."""
    for name, *_, state in DEMO_VOLUNTEERS:
        volunteer = volunteers[name]
        if clearance_at(volunteer.id, prison.id) is None:
            record_clearance(volunteer.id, prison.id, _demo_clearance(state, day), None, day)


def _demo_clearance(state: str, day: date) -> ClearanceDetails:
    """A plausible clearance in the given state, dated around ``day``."""
    if state == "cleared":
        return ClearanceDetails("cleared", submitted_on=day - timedelta(days=120),
                                cleared_on=day - timedelta(days=75),
                                expires_on=day + timedelta(days=730), id_type="passport")
    if state == "submitted":
        return ClearanceDetails("submitted", submitted_on=day - timedelta(days=10))
    return ClearanceDetails(state)


DEMO_VISIT_TITLE = "Employment and wellbeing day (demo)"
DEMO_SESSIONS = [
    SessionDetails("Cohort 1", time(9, 30), time(12, 0), "Chapel", 20,
                   "IPS specialist, talking therapies, peer mentor"),
    SessionDetails("Cohort 2", time(13, 30), time(16, 0), "Education block", 20,
                   "IPS specialist, probation officer, housing adviser"),
]
# volunteer, role on the day, escorted, sessions (by index into DEMO_SESSIONS)
DEMO_ROSTER = [
    (DEMO_NAMES["volunteer"], "IPS specialist", False, [0, 1]),
    ("Sam Okafor", "Talking therapies", False, [0]),
    ("Jo Lindqvist", "Probation officer", False, [1]),
    ("Ravi Menon", "Peer mentor", True, [0, 1]),
    ("Bea Hartley", "Housing adviser", False, [1]),
]


def seed_visit(prison: Prison, volunteers: dict[str, Volunteer], day: date) -> Visit:
    """One upcoming visit four weeks after ``day``, two sessions, a mixed roster."""
    visit = db.session.scalar(select(Visit).where(Visit.title == DEMO_VISIT_TITLE))
    if visit is not None:
        return visit
    visit = create_visit(VisitDetails(
        prison_id=prison.id, date=day + timedelta(days=28), title=DEMO_VISIT_TITLE,
        purpose="Men due for release within 90 days meet employment, health, housing and "
                "probation services and self-refer to what they want.",
        arrival_time=time(9, 0), contact_name="Pat Reid (fictional)",
        contact_role="Prison Employment Lead", contact_phone="020 7946 0100",
        contact_email="employment.lead@example.org"), actor_id=None, today=day)
    sessions = [add_session(visit.id, details, actor_id=None) for details in DEMO_SESSIONS]
    for name, role, escorted, chosen in DEMO_ROSTER:
        add_to_roster(visit.id, volunteers[name].id, role, escorted,
                      [sessions[index].id for index in chosen], actor_id=None)
    return visit


def seed_cohort(visit: Visit, day: date) -> None:
    """Import the fictional prison list onto the demo visit (the import leaves out the men
    outside the window) and allocate the men to its two sessions."""
    if db.session.scalar(select(CohortMember.id).where(CohortMember.visit_id == visit.id)):
        return
    import_prison_list(visit.id, prison_list_csv(visit.date), actor_id=None, today=day)
    run_allocation(visit.id, keep_wing_together=False, actor_id=None)
