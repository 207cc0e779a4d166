"""A past demo visit, about eight weeks ago, whose referrals are being followed up: fictional
men who came, their referral sets typed in from paper forms, and referrals in every state (made,
sent and waiting, sent and overdue, accepted, declined, could not contact, first contact,
closed, not shared) plus an IPS referral with a vocational profile, an employer contact and one
job start. Everything goes through the real services, so the events and audit rows are there
and every status moves by legal steps on past dates."""

from datetime import date, time, timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..attendance.services import mark_absent, mark_attended
from ..cohorts.placement import run_allocation
from ..cohorts.services import PersonDetails, add_to_cohort
from ..database import db
from ..directory.models import Service
from ..followup import outcomes
from ..followup.rules import Change
from ..followup.services import By, change_status
from ..prisons.models import Prison
from ..referrals.consent import current_wording
from ..referrals.services import Capture, save
from ..visits.models import Visit
from ..visits.services import SessionDetails, VisitDetails, add_session, create_visit
from ..visits.services import change_status as change_visit_status

PAST_VISIT_TITLE = "Through-the-gate day (demo, past)"
PAST_VISIT_DAYS_AGO = 56
IPS = "ips"
SERVICES = {  # short keys for the demo directory's referable services
    "housing": "Housing advice for prison leavers",
    "recovery": "Drug and alcohol recovery service",
    "talking": "Talking therapies and community mental health",
    "id": "ID and bank account help",
    "family": "Family reconnection service",
    "mentor": "Through-the-gate peer mentoring",
}
# What happened to a referral: (status, day, extra) steps. A day >= 0 counts from the visit, a
# negative one back from today. ``link``: the receiving service answered by its link.
STORIES = {
    "made": [],
    "waiting": [("sent", -3, {"sent_how": "phone"})],
    "overdue": [("sent", 2, {"sent_how": "post"})],
    "accepted": [("sent", 1, {"sent_how": "phone"}), ("accepted", 8, "link")],
    "declined": [("sent", 1, {"sent_how": "portal"}),
                 ("declined", 9, {"reason": "no_capacity"}, "link")],
    "no_contact": [("sent", 1, {"sent_how": "phone"}), ("no_contact", 20, {})],
    "first_contact": [("sent", 1, {"sent_how": "phone"}), ("accepted", 6, "link"),
                      ("first_contact", 24, {})],
    "closed": [("sent", 1, {"sent_how": "post"}), ("accepted", 5, {}),
               ("first_contact", 15, {}), ("closed", 45, {"reason": "completed"})],
    IPS: [("sent", 1, {"sent_how": "phone"}), ("accepted", 4, "link"),
          ("first_contact", 12, {})],
}
# first name, last name, prison number, days after the visit he was released, and his
# referrals as (service key, story); "not_shared" means he chose it but did not agree to share.
MEN = [
    ("Adam", "Brightwell", "Y8101AB", 10, [(IPS, IPS), ("mentor", "made")]),
    ("Bilal", "Carrow", "Y8102BC", 12, [("housing", "accepted"), ("id", "overdue")]),
    ("Connor", "Dewhurst", "Y8103CD", 14, [("recovery", "first_contact"),
                                           ("talking", "not_shared")]),
    ("Darius", "Elmstead", "Y8104DE", 9, [("housing", "declined")]),
    ("Ewan", "Farrant", "Y8105EF", 16, [("talking", "no_contact")]),
    ("Frankie", "Goodwin", "Y8106FG", 7, [("mentor", "closed")]),
    ("Gus", "Hartwell", "Y8107GH", 20, [("id", "waiting"), ("family", "made")]),
    ("Hassan", "Ibbotson", "Y8108HJ", 18, [("family", "accepted"), ("recovery", "overdue")]),
    ("Isaac", "Jowett", "Y8109JK", 11, []),  # offered help, chose nothing
    ("Jon", "Kilbride", "Y8110KL", 13, None),  # did not come
]
JOB_START_DAYS_AGO = 35
JOB_HOURS = 16


def seed_past_visit(prison: Prison, day: date) -> Visit:
    """The past visit with its men and their followed-up referrals; nothing if it is there."""
    visit = db.session.scalar(select(Visit).where(Visit.title == PAST_VISIT_TITLE))
    if visit is not None:
        return visit
    organiser = db.session.scalar(select(User).where(User.role == "organiser")
                                  .order_by(User.id).limit(1))
    visit_day = day - timedelta(days=PAST_VISIT_DAYS_AGO)
    visit = _visit(prison, visit_day)
    services = _services()
    men = [add_to_cohort(visit.id, PersonDetails(
        prison_number=number, first_name=first, last_name=last,
        release_date=visit_day + timedelta(days=released), release_type="CRD",
        location="C wing", release_area="Ealing"), None, visit_day - timedelta(days=10)).public_id
        for first, last, number, released, _ in MEN]
    run_allocation(visit.id, keep_wing_together=False, actor_id=organiser.id)
    for index, (public_id, (*_, choices)) in enumerate(zip(men, MEN, strict=True)):
        _man(visit, public_id, index, choices, services, organiser, day)
    for status in ("confirmed", "completed"):
        change_visit_status(visit.id, status, organiser.id)
    return visit


def _visit(prison: Prison, visit_day: date) -> Visit:
    """The visit as planned six weeks before it, with one session."""
    visit = create_visit(VisitDetails(
        prison_id=prison.id, date=visit_day, title=PAST_VISIT_TITLE,
        purpose="Men due for release met employment, health and housing services and chose "
                "who to be referred to.", arrival_time=time(9, 0),
        contact_name="Chris Nolan (fictional)", contact_role="Reducing Reoffending Lead",
        contact_phone="020 7946 0200", contact_email="reoffending.lead@example.org"),
        actor_id=None, today=visit_day - timedelta(days=42))
    add_session(visit.id, SessionDetails("Morning", time(9, 30), time(12, 0), "Library", 12,
                                         "IPS specialist, housing adviser"), actor_id=None)
    return visit


def _services() -> dict[str, int]:
    """The demo directory's services this visit refers to, by short key (IPS: the service
    marked IPS)."""
    ids = dict(db.session.execute(select(Service.name, Service.id).where(
        Service.name.in_(SERVICES.values()))).all())
    found = {key: ids[name] for key, name in SERVICES.items() if name in ids}
    ips = db.session.scalar(select(Service.id).where(Service.ips, Service.referable)
                            .order_by(Service.id).limit(1))
    return found | ({IPS: ips} if ips else {})


def _man(visit: Visit, public_id: str, index: int, choices, services: dict[str, int],
         organiser: User, day: date) -> None:
    """Mark whether he came, type in his paper form and follow its referrals up."""
    if choices is None:
        mark_absent(visit.id, public_id, "in_court", organiser.id)
        return
    mark_attended(visit.id, public_id, organiser.id)
    chosen = [(services[key], story) for key, story in choices if key in services]
    referral_set, _ = save(visit.id, visit.sessions[0].id, Capture(
        client_id=f"demo-past-visit-{index:04d}", member=public_id,
        chosen=[service for service, _ in chosen],
        consent={service: story != "not_shared" for service, story in chosen},
        consent_version=current_wording().version, channel="paper", paper_date=visit.date),
        organiser)
    by_service = {referral.service_id: referral.id for referral in referral_set.referrals}
    for service, story in chosen:
        _follow(by_service[service], story, visit.date, organiser.id, day)


def _follow(referral_id: int, story: str, visit_day: date, organiser_id: int, day: date) -> None:
    """Move the referral through its story's steps, then record the IPS outcomes."""
    for status, when, *extra in STORIES.get(story, []):
        on = visit_day + timedelta(days=when) if when >= 0 else day + timedelta(days=when)
        values = next((item for item in extra if isinstance(item, dict)), {})
        by = By(None, "link") if "link" in extra else By(organiser_id)
        change_status([referral_id], Change(status=status, on=on, **values), by)
    if story == IPS:
        outcomes.record_milestone(referral_id, "profile_started_on",
                                  visit_day + timedelta(days=14), organiser_id)
        outcomes.record_milestone(referral_id, "employer_contact_on",
                                  visit_day + timedelta(days=18), organiser_id)
        outcomes.add_job_start(referral_id, day - timedelta(days=JOB_START_DAYS_AGO), JOB_HOURS,
                               organiser_id)
