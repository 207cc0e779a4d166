"""Subject access requests: find a man by prison number or name, and gather everything held
about him, table by table, as rows of plain values (dates stay dates until written as JSON).

What is gathered, and what is left out on purpose:
- Every row of every table that refers to him, directly or through his cohort places, referral
  sets and referrals (``tests/test_data_requests.py`` walks the schema so none is forgotten),
  the consent wording he heard, the batches that printed him and the emails that carried his
  referrals, and the audit rows about any of these objects.
- Never: the token hashes of referral links, the PDFs themselves, other men's ids in a batch or
  an email, or the other man of a keep-apart pair.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import and_, inspect, or_, select

from ..accounts.models import User
from ..audit.models import AuditEvent
from ..audit.services import record
from ..cohorts.models import CohortMember, KeepApart, Person
from ..cohorts.services import prison_number
from ..database import db, writes
from ..directory.models import Service
from ..errors import DomainError
from ..followup.models import Dispatch, JobStart, ReferralEvent, ReferralLink
from ..packs.models import PrintJob, PrintPart
from ..printing.parts import CHUNK
from ..prisons.models import Prison
from ..referrals.models import ConsentWording, Referral, ReferralSet, SetChange, Submission
from ..visits.models import Visit, VisitSession

SEARCH_MAX = 120  # characters in the search box
MATCHES_MAX = 50  # men listed for one search
# Columns never exported: secrets, binary files, and other men's ids.
LEFT_OUT = {
    "referral_links": {"token_hash"},
    "print_jobs": {"pdf", "members"},
    "print_parts": {"pdf"},
    "referral_dispatches": {"referral_ids", "key"},
    "keep_apart": {"first_id", "second_id"},
}


@dataclass
class Match:
    """A man a search found, with what tells him apart from others of the same name."""

    public_id: str
    first_name: str
    last_name: str
    prison_number: str
    date_of_birth: date | None
    release_date: date | None
    restricted: bool
    visit_dates: list[date] = field(default_factory=list)


def _search_query(text: str):
    """Men whose prison number is the text, or whose names hold every word of it."""
    try:
        number = prison_number(text.replace(" ", ""))
    except DomainError:  # not a prison number: his name
        pass
    else:
        return select(Person).where(Person.prison_number == number)
    words = [or_(Person.first_name.icontains(word, autoescape=True),
                 Person.last_name.icontains(word, autoescape=True)) for word in text.split()]
    return (select(Person).where(and_(*words))
            .order_by(Person.last_name, Person.first_name, Person.id))


@writes
def search(query: str, actor_id: int) -> list[Match]:
    """The men matching a prison number or name (at most MATCHES_MAX + 1, so the page can say
    there are more), each with his visit dates. Audited with the number found, not the text."""
    text = " ".join((query or "").split())
    if not text:
        raise DomainError("blank", "Enter his prison number or name", "query")
    if len(text) > SEARCH_MAX:
        raise DomainError("too_long", f"Enter at most {SEARCH_MAX} characters", "query")
    people = list(db.session.scalars(_search_query(text).limit(MATCHES_MAX + 1)))
    dates: dict[int, list[date]] = {person.id: [] for person in people}
    if people:
        rows = db.session.execute(select(CohortMember.person_id, Visit.date).join(Visit)
                                  .where(CohortMember.person_id.in_(dates))
                                  .order_by(Visit.date.desc()))
        for person_id, day in rows:
            dates[person_id].append(day)
    record("data_request.searched", actor_id, detail=f"matches={len(people)}")
    db.session.commit()
    return [Match(public_id=person.public_id, first_name=person.first_name,
                  last_name=person.last_name, prison_number=person.prison_number,
                  date_of_birth=person.date_of_birth, release_date=person.release_date,
                  restricted=person.restricted_at is not None, visit_dates=dates[person.id])
            for person in people]


def person_by_public_id(public_id: str) -> Person:
    """The man with this opaque id, or not_found."""
    person = db.session.scalar(select(Person).where(Person.public_id == public_id))
    if person is None:
        raise DomainError("not_found", "That person does not exist")
    return person


@writes
def his_page(public_id: str, actor_id: int) -> dict:
    """What his data-rights page shows (his name, numbers, dates, restriction and visits), as
    plain values; records that the actor viewed it."""
    person = person_by_public_id(public_id)
    visits = db.session.execute(
        select(Visit.date, Prison.name).join(CohortMember, CohortMember.visit_id == Visit.id)
        .join(Prison, Visit.prison_id == Prison.id).where(CohortMember.person_id == person.id)
        .order_by(Visit.date.desc())).all()
    page = {key: getattr(person, key) for key in (
        "public_id", "first_name", "last_name", "prison_number", "date_of_birth",
        "release_date", "restricted_at", "restricted_reason")}
    page["visits"] = [{"date": day, "prison": prison} for day, prison in visits]
    record("data_request.viewed", actor_id, "person", person.id)
    db.session.commit()
    return page


# --- gathering everything about him --------------------------------------------------------------

def _stored(value):
    """A column value as gathered: binary data as its size; everything else as it is (dates
    stay dates, so only real dates are ever read as dates: see ``json_value``)."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def json_value(value):
    """What ``json.dumps`` cannot write itself: dates and times, as ISO text."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def as_dict(obj, **extra) -> dict:
    """Every column of a row (but those LEFT_OUT of its table), then the extra values."""
    table = obj.__table__.name
    skip = LEFT_OUT.get(table, set())
    values = {attr.key: _stored(getattr(obj, attr.key))
              for attr in inspect(obj).mapper.column_attrs if attr.key not in skip}
    return values | {key: _stored(value) for key, value in extra.items()}


def _scalars(query) -> list:
    """Every row the query selects, as a list."""
    return list(db.session.scalars(query))


def _rows_where(model, column, ids) -> list:
    """Rows of the model whose column is one of the ids, in id order."""
    return _scalars(select(model).where(column.in_(ids)).order_by(model.id)) if ids else []


def gather(public_id: str) -> dict[str, list[dict]]:
    """Everything held about him, by table name: each a list of rows of plain values."""
    person = person_by_public_id(public_id)
    members = _rows_where(CohortMember, CohortMember.person_id, [person.id])
    sets = _rows_where(ReferralSet, ReferralSet.member_id, [member.id for member in members])
    referrals = _rows_where(Referral, Referral.set_id, [item.id for item in sets])
    referral_ids = [item.id for item in referrals]
    data = {
        "people": [as_dict(person)],
        "cohort_members": [_member(member) for member in members],
        "keep_apart": _keep_apart(person.id),
        "consent_wordings": [as_dict(wording) for wording in _rows_where(
            ConsentWording, ConsentWording.id, {item.consent_wording_id for item in sets})],
        "referral_sets": [as_dict(item, consent_wording_version=item.consent_wording.version,
                                  consent_wording_text=item.consent_wording.text)
                          for item in sets],
        "referral_submissions": _submissions([item.id for item in sets]),
        "referral_set_changes": [as_dict(item) for item in _rows_where(
            SetChange, SetChange.set_id, [item.id for item in sets])],
        "referrals": [as_dict(item, service_name=item.service.name) for item in referrals],
        "referral_events": [as_dict(item) for item in _rows_where(
            ReferralEvent, ReferralEvent.referral_id, referral_ids)],
        "referral_links": [as_dict(item) for item in _rows_where(
            ReferralLink, ReferralLink.referral_id, referral_ids)],
        "job_starts": [as_dict(item) for item in _rows_where(
            JobStart, JobStart.referral_id, referral_ids)],
        "referral_dispatches": _dispatches(members, set(referral_ids)),
    }
    data["print_jobs"], data["print_parts"] = _printing(members)
    data["audit_events"] = _audit(data)
    return data


def _member(member: CohortMember) -> dict:
    """His place on a visit's cohort, with the visit's day, prison and his session."""
    session = member.session
    return as_dict(member, visit_date=member.visit.date, prison=member.visit.prison.name,
                   session_label=session.label if session else "",
                   session_times=f"{session.starts_at:%H:%M} to {session.ends_at:%H:%M}"
                   if session else "")


def _keep_apart(person_id: int) -> list[dict]:
    """Pairs naming him, without the other man: only that there is one, and on which visit."""
    pairs = _scalars(select(KeepApart).where(or_(KeepApart.first_id == person_id,
                                                 KeepApart.second_id == person_id))
                     .order_by(KeepApart.id))
    return [as_dict(pair, visit_date=db.session.get(Visit, pair.visit_id).date,
                    other_man="another man on this visit (not named here: his data is his own)")
            for pair in pairs]


def _submissions(set_ids: list[int]) -> list[dict]:
    """The tablet submissions that saved his sets (keyed by client_id, not id)."""
    if not set_ids:
        return []
    return [as_dict(item) for item in _scalars(
        select(Submission).where(Submission.set_id.in_(set_ids))
        .order_by(Submission.received_at))]


def _dispatches(members: list[CohortMember], referral_ids: set[int]) -> list[dict]:
    """The emails that carried any of his referrals, naming only his referrals in each."""
    visit_ids = {member.visit_id for member in members}
    found = []
    for dispatch in _rows_where(Dispatch, Dispatch.visit_id, visit_ids):
        his = [item for item in json.loads(dispatch.referral_ids) if item in referral_ids]
        if his:
            found.append(as_dict(dispatch, his_referral_ids=his,
                                 service_name=db.session.get(Service, dispatch.service_id).name))
    return found


def _printing(members: list[CohortMember]) -> tuple[list[dict], list[dict]]:
    """The print batches of his visits' sessions that included him (his place in each and
    whether its PDF is still held), and the parts holding his pages."""
    member_ids = {member.id for member in members}
    visit_ids = {member.visit_id for member in members}
    if not visit_ids:
        return [], []
    jobs = _scalars(select(PrintJob).join(VisitSession, PrintJob.session_id == VisitSession.id)
                    .where(VisitSession.visit_id.in_(visit_ids)).order_by(PrintJob.id))
    held = set(db.session.scalars(select(PrintJob.id).where(PrintJob.id.in_(
        [job.id for job in jobs]), PrintJob.pdf.is_not(None))))
    found_jobs, parts = [], []
    for job in jobs:
        places = [index for index, member_id in enumerate(json.loads(job.members))
                  if member_id in member_ids]
        if not places:
            continue
        found_jobs.append(as_dict(job, his_places=[index + 1 for index in places],
                                  pdf_held=job.id in held))
        numbers = {index // CHUNK for index in places}
        parts += [as_dict(part) for part in _rows_where(PrintPart, PrintPart.job_id, [job.id])
                  if part.number in numbers]
    return found_jobs, parts


# Which exported table each audit object type names, and whether audit rows use its public_id.
AUDITED = {"person": "people", "cohort_member": "cohort_members",
           "referral_set": "referral_sets", "referral": "referrals", "job_start": "job_starts",
           "print_job": "print_jobs", "dispatch": "referral_dispatches"}


def _audit(data: dict[str, list[dict]]) -> list[dict]:
    """The audit rows about him or any of his rows (by id or public_id), oldest first, each
    with who did it."""
    conditions = []
    for object_type, table in AUDITED.items():
        keys = {str(item[key]) for item in data[table] for key in ("id", "public_id")
                if item.get(key) is not None}
        if keys:
            conditions.append(and_(AuditEvent.object_type == object_type,
                                   AuditEvent.object_id.in_(keys)))
    if not conditions:
        return []
    events = _scalars(select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.id))
    actor_ids = {event.actor_id for event in events} - {None}
    users = {user.id: user for user in _rows_where(User, User.id, actor_ids)}
    return [as_dict(event,
                    actor_name=users[event.actor_id].display_name if event.actor_id else "",
                    actor_role=users[event.actor_id].role if event.actor_id else "")
            for event in events]
