"""Employment outcomes of a referral to an IPS service, as IPS Grow counts them.

- What: the day his vocational profile was started, the day of his first employer contact, and
  each job he starts (a man may have several): its start date and paid hours a week. It counts
  as a job start at JOB_START_HOURS paid hours or more; fewer hours are kept but not counted.
  Whether he is still in work is asked at 13 and at 26 weeks after the start, and only once
  that many weeks have passed.
- Rules: only for a referral to a service marked IPS, and only when he agreed to share his
  details with it; dates are not before the visit nor in the future (``rules.check_outcome_date``),
  hours 0 to MAX_HOURS, decimals allowed (``rules.check_hours``).
- Each change is one short write, audited by ids only; a refusal saves nothing.
"""

from datetime import date, timedelta

from sqlalchemy import select

from ..audit.services import record
from ..database import db, writes
from ..dates import today
from ..errors import DomainError
from ..referrals.models import Referral
from .models import JobStart
from .rules import check_hours, check_outcome_date
from .services import facts_query
from .vocabulary import JOB_START_HOURS

# The milestones kept on the referral: the field (as the form and the error name it) and the
# audit action.
MILESTONES = {
    "profile_started_on": "referral.profile_started",
    "employer_contact_on": "referral.employer_contact",
}
CHECK_WEEKS = (13, 26)


def counts_as_job_start(hours: float) -> bool:
    """IPS Grow counts a job of JOB_START_HOURS paid hours a week or more."""
    return hours >= JOB_START_HOURS


def check_due_on(started_on: date, weeks: int) -> date:
    """The day he has been in the job for this many weeks."""
    return started_on + timedelta(weeks=weeks)


def _ips_referral(referral_id: int) -> tuple[Referral, date]:
    """The referral, locked, with its visit's date; refused unless it is to an IPS service and
    he agreed to share his details."""
    row = db.session.execute(facts_query([referral_id]).with_for_update(of=Referral)).first()
    if row is None:
        raise DomainError("not_found", "That referral does not exist")
    referral, _, visit_date = row
    if not referral.service.ips:
        raise DomainError("not_ips", "Employment outcomes are only kept for referrals to an "
                          "IPS employment service")
    if not referral.consent:
        raise DomainError("no_consent", "He did not agree to share his details with this "
                          "service, so nothing is recorded about it")
    return referral, visit_date


@writes
def record_milestone(referral_id: int, field: str, on: date | None, actor_id: int) -> Referral:
    """Record (or correct) the day his vocational profile was started or his first employer
    contact happened; ``field`` is one of MILESTONES."""
    if field not in MILESTONES:
        raise DomainError("bad_milestone", "Unknown employment milestone")
    referral, visit_date = _ips_referral(referral_id)
    check_outcome_date(on, visit_date, today(), field)
    setattr(referral, field, on)
    record(MILESTONES[field], actor_id, "referral", referral.id)
    db.session.commit()
    return referral


@writes
def add_job_start(referral_id: int, started_on: date | None, hours_per_week: float | None,
                  actor_id: int) -> JobStart:
    """Record a job he started: the day and the paid hours a week."""
    referral, visit_date = _ips_referral(referral_id)
    check_outcome_date(started_on, visit_date, today(), "started_on")
    check_hours(hours_per_week)
    job = JobStart(referral_id=referral.id, started_on=started_on,
                   hours_per_week=float(hours_per_week), recorded_by=actor_id)
    db.session.add(job)
    db.session.flush()
    record("job_start.created", actor_id, "job_start", job.id)
    db.session.commit()
    return job


@writes
def record_in_work(referral_id: int, job_id: int, weeks: int, in_work: bool | None,
                   actor_id: int) -> JobStart:
    """Record whether he was still in this job ``weeks`` (13 or 26) after it started; refused
    before that many weeks have passed."""
    if weeks not in CHECK_WEEKS:
        raise DomainError("bad_weeks", "In work is checked at 13 or 26 weeks")
    if in_work is None:
        raise DomainError("no_answer", "Say whether he was still in work", "in_work")
    _ips_referral(referral_id)
    job = db.session.scalar(select(JobStart).where(
        JobStart.id == job_id, JobStart.referral_id == referral_id).with_for_update())
    if job is None:
        raise DomainError("not_found", "That job start does not exist")
    due = check_due_on(job.started_on, weeks)
    if today() < due:
        raise DomainError("too_early", f"He started this job on {job.started_on:%-d %B %Y}: "
                          f"whether he is still in work at {weeks} weeks can be recorded from "
                          f"{due:%-d %B %Y}", "in_work")
    setattr(job, f"in_work_{weeks}_weeks", in_work)
    record(f"job_start.in_work_{weeks}_weeks", actor_id, "job_start", job.id)
    db.session.commit()
    return job
