"""A man's timeline: every visit he was on, each referral set recorded with him, each referral,
each change of its status and each IPS employment outcome, in one list, newest first.

It is read in six statements whatever his history (his details, then one per kind of entry,
each joined to what it names), and sorted here: a man's own history is small, so it needs no
paging. Every view is audited as "person.timeline_viewed" (ids only)."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..accounts.models import User
from ..attendance.services import state_text
from ..audit.services import record
from ..cohorts.models import CohortMember, Person
from ..database import db, writes
from ..dates import local
from ..directory.models import Service
from ..errors import DomainError
from ..followup.models import JobStart, ReferralEvent
from ..followup.outcomes import counts_as_job_start
from ..followup.referral_page import reason_text, who_text
from ..followup.vocabulary import HOW, JOB_START_HOURS, STATUSES
from ..referrals.models import CHANNELS, Referral, ReferralSet
from ..visits.models import Visit

# Within one day, later steps come first (newest first): a job after a milestone after a
# status change after the referral after its set after the visit.
RANK = {"visit": 0, "set": 1, "referral": 2, "status": 3, "milestone": 4, "job": 5}


@dataclass
class Entry:
    """One thing that happened, as plain values; ``referral_id`` links to its referral."""

    on: date
    kind: str
    title: str
    detail: str = ""
    who: str = ""
    how: str = ""
    referral_id: int | None = None
    order: int = 0  # among entries of one kind on one day, the later one is higher


@dataclass
class Timeline:
    """The man and his entries, newest first."""

    person_id: int
    public_id: str
    first_name: str
    last_name: str
    prison_number: str
    entries: list[Entry] = field(default_factory=list)


def timeline(public_id: str) -> Timeline:
    """His timeline by his opaque id (else DomainError not_found)."""
    person = db.session.scalar(select(Person).where(Person.public_id == public_id))
    if person is None:
        raise DomainError("not_found", "That person does not exist")
    entries = (_visits(person.id) + _sets(person.id) + _referrals(person.id)
               + _status_changes(person.id) + _jobs(person.id))
    entries.sort(key=lambda entry: (entry.on, RANK[entry.kind], entry.order), reverse=True)
    return Timeline(person_id=person.id, public_id=person.public_id,
                    first_name=person.first_name, last_name=person.last_name,
                    prison_number=person.prison_number, entries=entries)


@writes
def record_view(person_id: int, actor_id: int) -> None:
    """Audit that someone read his timeline."""
    record("person.timeline_viewed", actor_id, "person", person_id)
    db.session.commit()


def _his(query, person_id: int):
    """The query limited to his referral sets; further joins may follow."""
    return (query.select_from(ReferralSet)
            .join(CohortMember, ReferralSet.member_id == CohortMember.id)
            .where(CohortMember.person_id == person_id))


def _set_day(channel: str, paper_date: date | None, recorded_at) -> date:
    """The day a set was recorded: the date on a paper form, else the day it was saved."""
    return paper_date if channel == "paper" and paper_date else local(recorded_at).date()


def _visits(person_id: int) -> list[Entry]:
    """Each visit he was on: where, his session and whether he came."""
    query = (select(CohortMember).join(CohortMember.visit).join(Visit.prison)
             .outerjoin(CohortMember.session)
             .options(contains_eager(CohortMember.visit).contains_eager(Visit.prison),
                      contains_eager(CohortMember.session))
             .where(CohortMember.person_id == person_id))
    return [Entry(on=member.visit.date, kind="visit",
                  title=f"Visit: {member.visit.title}, {member.visit.prison.name}",
                  detail=", ".join(filter(None, [
                      member.session.label if member.session else "Not placed in a session",
                      state_text(member), "walk-in" if member.walk_in else ""])),
                  order=member.id)
            for member in db.session.scalars(query)]


def _sets(person_id: int) -> list[Entry]:
    """Each referral set recorded with him: when, how and by whom."""
    query = (_his(select(ReferralSet, User.display_name, Visit.date), person_id)
             .join(User, User.id == ReferralSet.recorded_by)
             .join(Visit, Visit.id == CohortMember.visit_id))
    return [Entry(on=_set_day(item.channel, item.paper_date, item.recorded_at), kind="set",
                  title=f"Referrals recorded with him at the visit of {visit_day:%-d %B %Y}",
                  detail=f"Saved {local(item.recorded_at):%-d %B %Y at %H:%M}",
                  who=name, how=CHANNELS[item.channel], order=item.id)
            for item, name, visit_day in db.session.execute(query)]


def _referrals(person_id: int) -> list[Entry]:
    """Each referral (on the day its set was recorded) and its IPS milestones."""
    query = (_his(select(Referral, Service.name, ReferralSet.channel, ReferralSet.paper_date,
                         ReferralSet.recorded_at), person_id)
             .join(Referral, Referral.set_id == ReferralSet.id)
             .join(Service, Service.id == Referral.service_id))
    entries = []
    for referral, service, channel, paper_date, recorded_at in db.session.execute(query):
        shared = "He agreed to share his details" if referral.consent else STATUSES["not_shared"]
        entries.append(Entry(on=_set_day(channel, paper_date, recorded_at), kind="referral",
                             title=f"Referral to {service}",
                             detail=f"{shared}. Now: {STATUSES[referral.status].lower()}",
                             referral_id=referral.id, order=referral.id))
        for day, title in ((referral.profile_started_on, "Vocational profile started"),
                           (referral.employer_contact_on, "First employer contact")):
            if day is not None:
                entries.append(Entry(on=day, kind="milestone", title=f"{title} ({service})",
                                     referral_id=referral.id, order=referral.id))
    return entries


def _status_changes(person_id: int) -> list[Entry]:
    """Each change of his referrals' status: to what, why, who recorded it and how."""
    query = (_his(select(ReferralEvent, User.display_name, Service.name), person_id)
             .join(Referral, Referral.set_id == ReferralSet.id)
             .join(ReferralEvent, ReferralEvent.referral_id == Referral.id)
             .join(Service, Service.id == Referral.service_id)
             .outerjoin(User, User.id == ReferralEvent.actor_id))
    return [Entry(on=event.on_date, kind="status",
                  title=f"{service}: {STATUSES[event.status].lower()}",
                  detail=reason_text(event.status, event.reason, event.reason_other),
                  who=who_text(name, event.how), how=HOW.get(event.how, event.how),
                  referral_id=event.referral_id, order=event.id)
            for event, name, service in db.session.execute(query)]


def _jobs(person_id: int) -> list[Entry]:
    """Each job he started after an IPS referral, whether it counts, and the checks so far."""
    query = (_his(select(JobStart, User.display_name, Service.name), person_id)
             .join(Referral, Referral.set_id == ReferralSet.id)
             .join(JobStart, JobStart.referral_id == Referral.id)
             .join(Service, Service.id == Referral.service_id)
             .join(User, User.id == JobStart.recorded_by))
    return [Entry(on=job.started_on, kind="job",
                  title=f"Job started: {job.hours_per_week:g} paid hours a week ({service})",
                  detail="; ".join([_counted(job.hours_per_week)] + _checks(job)),
                  who=name, how=HOW["recorded"], referral_id=job.referral_id, order=job.id)
            for job, name, service in db.session.execute(query)]


def _counted(hours: float) -> str:
    """Whether IPS Grow counts the job as a job start."""
    return ("Counts as a job start" if counts_as_job_start(hours)
            else f"Under {JOB_START_HOURS} hours: not counted as a job start")


def _checks(job: JobStart) -> list[str]:
    """The 13- and 26-week answers recorded so far."""
    return [f"{'still' if answer else 'not'} in work at {weeks} weeks"
            for weeks, answer in ((13, job.in_work_13_weeks), (26, job.in_work_26_weeks))
            if answer is not None]
