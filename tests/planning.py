"""Builders for planning data (prisons, visits, volunteers, clearances), straight into the
real test database, for tests of the areas that use them."""

from datetime import date, time, timedelta

from inreach.database import begin_write, db
from inreach.prisons.models import Prison
from inreach.visits.models import Visit, VisitSession
from inreach.volunteers.models import Clearance, Organisation, Volunteer


def prison(code: str = "WSI", name: str = "HMP Wormwood Scrubs", archived: bool = False) -> Prison:
    """A prison."""
    begin_write()
    item = Prison(code=code, name=name, archived=archived)
    db.session.add(item)
    db.session.commit()
    return item


def visit(prison_id: int, day: date | None = None, status: str = "draft") -> Visit:
    """A visit a month from now unless told otherwise, with no sessions."""
    begin_write()
    day = day or date.today() + timedelta(days=30)
    item = Visit(prison_id=prison_id, date=day, title="Employment and wellbeing day",
                 gate_list_deadline=day - timedelta(days=14), status=status)
    db.session.add(item)
    db.session.commit()
    return item


def session(visit_id: int, label: str = "Cohort 1", starts: str = "09:30", ends: str = "12:00",
            room: str = "Chapel", capacity: int = 20) -> VisitSession:
    """A session of a visit."""
    begin_write()
    item = VisitSession(visit_id=visit_id, label=label, starts_at=time.fromisoformat(starts),
                        ends_at=time.fromisoformat(ends), room=room, capacity=capacity)
    db.session.add(item)
    db.session.commit()
    return item


def volunteer(name: str = "Sam Fictional", organisation: str = "North Thames NHS Trust",
              user_id: int | None = None) -> Volunteer:
    """A volunteer, creating their organisation if new."""
    begin_write()
    org = db.session.query(Organisation).filter_by(name=organisation).one_or_none()
    org = org or Organisation(name=organisation, kind="nhs_trust")
    item = Volunteer(name=name, organisation=org, job_title="Employment specialist",
                     user_id=user_id)
    db.session.add(item)
    db.session.commit()
    return item


def clear(volunteer_id: int, prison_id: int, state: str = "cleared",
          cleared_on: date | None = None, expires_on: date | None = None) -> Clearance:
    """Record a volunteer's clearance at a prison (cleared last month, valid a year)."""
    begin_write()
    today = date.today()
    item = Clearance(volunteer_id=volunteer_id, prison_id=prison_id, state=state,
                     submitted_on=today - timedelta(days=60), id_type="passport",
                     cleared_on=cleared_on or (today - timedelta(days=30)
                                               if state == "cleared" else None),
                     expires_on=expires_on or (today + timedelta(days=365)
                                               if state == "cleared" else None))
    db.session.add(item)
    db.session.commit()
    return item
