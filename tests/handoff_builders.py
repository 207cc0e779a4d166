"""Builders for hand-off and sending tests: a visit a week ago whose men chose services with
different referral routes, straight into the real test database (all data fictional)."""

from datetime import date, timedelta

from sqlalchemy import select

from inreach.cohorts.models import CohortMember
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.directory.models import Service
from inreach.referrals.consent import FIRST_WORDING
from inreach.referrals.models import ConsentWording, Referral, ReferralSet

from . import planning
from . import referral_builders as build

THERAPIES_EMAIL = "talking.therapies@nhs.test"


def routed_service(name: str, route: str = "", details: str = "", email: str = "",
                   instructions: str = "") -> Service:
    """A referable service with a referral route and the details it asks for."""
    item = build.service(name)
    begin_write()
    item.referral_route, item.referral_details = route, details
    item.referral_email, item.referral_instructions = email, instructions
    db.session.commit()
    return item


def wording() -> ConsentWording:
    """The first consent wording, stored."""
    begin_write()
    stored = db.session.scalar(select(ConsentWording).where(ConsentWording.version == 1))
    if stored is None:
        stored = ConsentWording(version=1, text=FIRST_WORDING)
        db.session.add(stored)
    db.session.commit()
    return stored


def refer(member: CohortMember, session_id: int, user_id: int, chosen: dict[int, bool],
          **values) -> ReferralSet:
    """His referral set: a referral to each chosen service (made if he agreed, else not
    shared), with the given after-release details."""
    wording_id = wording().id
    begin_write()
    his_set = ReferralSet(member_id=member.id, session_id=session_id, recorded_by=user_id,
                          consent_wording_id=wording_id, **values)
    his_set.referrals = [Referral(service_id=service_id, consent=agreed,
                                  status="made" if agreed else "not_shared")
                         for service_id, agreed in chosen.items()]
    db.session.add(his_set)
    db.session.commit()
    return his_set


def set_person(member: CohortMember, **values) -> None:
    """Change his person row (date of birth, release date…)."""
    begin_write()
    for name, value in values.items():
        setattr(member.person, name, value)
    db.session.commit()


def handoff_day(users: dict[str, int]) -> dict:
    """A visit a week ago at HMP Wormwood Scrubs. Talking Therapies takes referrals by secure
    email and asks for date of birth and phone; the housing desk by phone, asking for prison
    number, release date and address; the work coach has no route yet and asks for probation.
    John agreed to therapies and housing but not work; Karl (a paper form, signed the day after)
    to therapies; Lee said no to therapies, yes to work. Mo, on another visit, chose therapies
    too. Returns the ids."""
    wsi = planning.prison()
    visit_day = today() - timedelta(days=7)
    visit = planning.visit(wsi.id, visit_day, status="completed")
    other = planning.visit(wsi.id, visit_day - timedelta(days=30), status="completed")
    session = planning.session(visit.id)
    other_session = planning.session(other.id)
    therapies = routed_service("Talking Therapies", "email", "date_of_birth,phone",
                               THERAPIES_EMAIL)
    housing = routed_service("Housing desk", "phone", "prison_number,release_date,address",
                             instructions="Phone 0300 000 0000 and ask for referrals")
    work = routed_service("Work coach", "", "probation")
    organiser = users["organiser"]
    john = build.man(visit.id, session.id, "A1234BC")
    karl = build.man(visit.id, session.id, "B2345CD", "Karl", "Madeup")
    lee = build.man(visit.id, session.id, "C3456DE", "Lee", "Invented")
    mo = build.man(other.id, other_session.id, "D4567EF", "Mo", "Pretend")
    set_person(john, date_of_birth=date(1990, 3, 14), release_date=visit_day + timedelta(30))
    refer(john, session.id, organiser, {therapies.id: True, housing.id: True, work.id: False},
          phone="+44 7700 900123", safe_message=True, housing="approved_premises",
          release_area="Camden", probation_name="Pat Probation",
          probation_contact="pat@probation.test")
    refer(karl, session.id, organiser, {therapies.id: True}, channel="paper",
          paper_date=visit_day + timedelta(days=1))
    refer(lee, session.id, organiser, {therapies.id: False, work.id: True},
          probation_name="Robin Officer", phone="07700 900999")
    refer(mo, other_session.id, organiser, {therapies.id: True})
    referrals = {(row.referral_set.member_id, row.service_id): row.id
                 for row in db.session.scalars(select(Referral))}
    return {"visit": visit.id, "visit_date": visit_day, "session": session.id,
            "other": other.id, "therapies": therapies.id, "housing": housing.id,
            "work": work.id, "users": users,
            "members": {"john": john.id, "karl": karl.id, "lee": lee.id, "mo": mo.id},
            "references": {name: member.form_reference for name, member in
                           (("john", john), ("karl", karl), ("lee", lee), ("mo", mo))},
            "referrals": {f"{name}/{service}": referrals[(member.id, service_id)]
                          for name, member in (("john", john), ("karl", karl), ("lee", lee),
                                               ("mo", mo))
                          for service, service_id in (("therapies", therapies.id),
                                                      ("housing", housing.id),
                                                      ("work", work.id))
                          if (member.id, service_id) in referrals}}
