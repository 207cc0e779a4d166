"""IPS Grow's quarterly figures, one CSV row per IPS service (``Service.ips``), in NHS financial
year quarters (April to June is Q1; "2026-27 Q3" is October to December 2026).

Columns, in this order:
1. Quarter: "2026-27 Q3".
2. Service: the IPS service's name in the directory.
3. Referrals accepted: referrals he agreed to share whose answer stands as accepted or first
   contact (a closed one as it stood when closed), answered in the quarter.
4. Vocational profiles started: referrals with a vocational profile started in the quarter.
5. Job starts (4+ paid hours): jobs started in the quarter of ``JOB_START_HOURS`` or more paid
   hours a week (a man with two jobs counts twice).
6. People into work: distinct men (people, across visits) with such a job start in the quarter.
7. Clients out of work at referral: inreach does not record work status at referral; every
   man referred is leaving prison, so all are taken as out of work: the referrals accepted.
8. Employment rate: people into work / clients out of work at referral, as "38.5%"; blank
   when nobody was accepted.
9. Benchmark: "40%", IPS Grow's employment-rate benchmark.
10. At or above benchmark: "yes" or "no"; blank without a rate.
Every IPS service has a row, zeros included. Counts are exact (the return goes to IPS Grow,
not the public): no small-number suppression. Built, like every report, on rows a purge
leaves: referrals, job starts, and a man's person id (never his name or number).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, distinct, func, select

from ..cohorts.models import CohortMember
from ..database import db
from ..directory.models import Service
from ..errors import DomainError
from ..followup.models import JobStart
from ..followup.vocabulary import JOB_START_HOURS
from ..referrals.models import Referral, ReferralSet
from .figures import ACCEPTED, answer, flag, rate, with_closing

HEADER = ["Quarter", "Service", "Referrals accepted", "Vocational profiles started",
          f"Job starts ({JOB_START_HOURS}+ paid hours)", "People into work",
          "Clients out of work at referral", "Employment rate", "Benchmark",
          "At or above benchmark"]
BENCHMARK = 0.40
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_quarter(year: int, quarter: int) -> None:
    """Refuse a quarter that does not exist (DomainError naming the field)."""
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError("bad_year", f"Enter a financial year starting between {FIRST_YEAR} "
                          f"and {LAST_YEAR}", "year")
    if quarter not in (1, 2, 3, 4):
        raise DomainError("bad_quarter", "Choose a quarter from 1 to 4", "quarter")


def quarter_dates(year: int, quarter: int) -> tuple[date, date]:
    """The first and last day of financial year ``year``-(``year`` + 1)'s quarter."""
    start = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    following = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return start, following - timedelta(days=1)


def quarter_label(year: int, quarter: int) -> str:
    """ "2026-27 Q3"."""
    return f"{year}-{(year + 1) % 100:02d} Q{quarter}"


def financial_quarter(day: date) -> tuple[int, int]:
    """The (financial year's first year, quarter) a day falls in."""
    year = day.year if day.month >= 4 else day.year - 1
    return year, (day.month - 4) % 12 // 3 + 1


def _in(column, start: date, end: date):
    """The date column falls within the quarter."""
    return and_(column >= start, column <= end)


def _referral_counts(start: date, end: date) -> dict[int, tuple[int, int]]:
    """Per IPS service: (referrals accepted, profiles started) in the quarter."""
    rows = db.session.execute(with_closing(
        select(Referral.service_id,
               func.sum(flag(and_(answer().in_(ACCEPTED), _in(Referral.answered_on, start, end)))),
               func.sum(flag(_in(Referral.profile_started_on, start, end))))
        .select_from(Referral).where(Referral.consent.is_(True)))
        .group_by(Referral.service_id)).all()
    return {service_id: (int(accepted or 0), int(profiles or 0))
            for service_id, accepted, profiles in rows}


def _job_counts(start: date, end: date) -> dict[int, tuple[int, int]]:
    """Per service: (job starts of 4+ hours, distinct people into work) in the quarter."""
    rows = db.session.execute(
        select(Referral.service_id, func.count(JobStart.id),
               func.count(distinct(CohortMember.person_id)))
        .select_from(JobStart)
        .join(Referral, Referral.id == JobStart.referral_id)
        .join(ReferralSet, ReferralSet.id == Referral.set_id)
        .join(CohortMember, CohortMember.id == ReferralSet.member_id)
        .where(JobStart.hours_per_week >= JOB_START_HOURS, _in(JobStart.started_on, start, end))
        .group_by(Referral.service_id)).all()
    return {service_id: (jobs, people) for service_id, jobs, people in rows}


def service_row(label: str, name: str, accepted: int, profiles: int, jobs: int,
         people: int) -> list[str]:
    """One service's CSV row (see the module docstring for the columns)."""
    employment = rate(people, accepted)
    return [label, name, str(accepted), str(profiles), str(jobs), str(people), str(accepted),
            "" if employment is None else f"{employment:.1%}", f"{BENCHMARK:.0%}",
            "" if employment is None else ("yes" if employment >= BENCHMARK else "no")]


def quarter_rows(year: int, quarter: int) -> list[list[str]]:
    """The header and one row per IPS service for the quarter (a read; three statements)."""
    check_quarter(year, quarter)
    start, end = quarter_dates(year, quarter)
    services = db.session.execute(select(Service.id, Service.name).where(Service.ips.is_(True))
                                  .order_by(Service.name, Service.id)).all()
    referrals, jobs = _referral_counts(start, end), _job_counts(start, end)
    label = quarter_label(year, quarter)
    return [HEADER, *(service_row(label, name, *referrals.get(service_id, (0, 0)),
                           *jobs.get(service_id, (0, 0))) for service_id, name in services)]
