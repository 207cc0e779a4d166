"""Builders for self-referral tests: men placed in sessions, directory services to refer to and
a capture to submit, straight into the real test database."""

import uuid
from datetime import timedelta

from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.directory.models import DirectoryOrganisation, Service
from inreach.referrals.services import Capture


def man(visit_id: int, session_id: int | None, number: str, first: str = "John",
        last: str = "Fictional") -> CohortMember:
    """A man on the visit's cohort, placed in the session."""
    begin_write()
    person = Person(prison_number=number, first_name=first, last_name=last, location="B wing",
                    release_date=today() + timedelta(days=20), release_type="CRD")
    member = CohortMember(visit_id=visit_id, person=person, session_id=session_id)
    db.session.add(member)
    db.session.commit()
    return member


def service(name: str, referable: bool = True, status: str = "active") -> Service:
    """A directory service run by a made-up charity; referable ones say what happens next."""
    begin_write()
    organisation = db.session.query(DirectoryOrganisation).filter_by(
        name="Fictional Trust").one_or_none() or DirectoryOrganisation(name="Fictional Trust")
    item = Service(organisation=organisation, name=name, status=status, referable=referable,
                   next_steps="They will phone you in the week after release" if referable
                   else "")
    db.session.add(item)
    db.session.commit()
    return item


def client_id() -> str:
    """An id as the tablet makes one for each submission."""
    return str(uuid.uuid4())


def capture(member: str, **values) -> Capture:
    """A submission for the man (by public id) with a fresh client id, the given values on top."""
    values.setdefault("client_id", client_id())
    return Capture(member=member, **values)
