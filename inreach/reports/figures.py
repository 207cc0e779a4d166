"""The report figures: the study's funnel, referrals by service and by pathway, outcomes over
time and volunteer hours, for one visit or for any period, prison or receiving organisation.

Built only on rows that outlive a personal-data purge. The figures read cohort membership
(``cohort_members``: visit, walk-in, attendance, reason not attended), referral sets (only their
id and member), referrals (service, consent, status and the dates of each step), referral
events (the status a closed referral was closed from), job starts (hours, in work at 13 weeks),
visits, prisons, directory services and organisations, and roster sign-in and sign-out times
with the volunteer's organisation. They never read a man's name, prison number, date of birth,
release date, phone, address or notes, nor a volunteer's name, so purging those (or blanking
them) leaves every figure unchanged; a test purges them and compares.

The rules, each stated once here and shown as a one-line definition on the page:
- Men are counted per visit: a man on two visits in the period counts once at each. Every step
  of the funnel counts men (distinct cohort members), including the steps after "referred".
- Cancelled visits are left out, unless the report is for that one visit.
- "On the prison's list": every man on the visit's cohort, walk-ins included (inreach keeps
  only the eligible rows of the prison's list, so there is no larger list to count).
- "Eligible on the day": on the list, less those marked absent as released early or
  transferred (no longer eligible by the day). Walk-ins are eligible by being there.
- "Attended": marked attended, or seen by a volunteer though not marked (so the funnel never
  narrows the wrong way). The reasons for not attending cover everyone else on the list
  ("Not recorded" when nobody marked him).
- "Seen by a volunteer" (the study's "engaged"): has a referral set, even with no service.
- "Declined everything": seen, with no referral at all; counted among the seen, not excluded.
- "Referred": at least one referral he agreed to share (consent; not "not shared").
- "Sent": at least one referral with a sent date. "Accepted": at least one referral whose
  answer stands as accepted or first contact; a closed referral counts as the status it was
  closed from (its closing event), so one accepted and later closed still counts, and an
  acceptance corrected to declined does not. "First contact": a first-contact date.
  "IPS vocational profile": a profile start date. "Job start": a job start of
  ``JOB_START_HOURS`` or more paid hours a week. "In work at 13 weeks": such a job start marked
  in work at 13 weeks.
- With a receiving organisation in the scope, the steps from "referred" on count only
  referrals to that organisation's services (and the job starts that follow them); the steps
  before it count every man at the visits in scope.

The per-service table counts referrals he agreed to share: made (all of them), sent, accepted,
declined, could not contact (``no_contact``), unanswered (sent, no answer yet; one closed
before any answer stays unanswered). A pathway row adds up the services filed under that
pathway (a service under two pathways counts in both). Median working days (Monday to Friday,
as ``followup.chase.add_working_days`` counts them) are worked out in Python over rows the
database has already grouped by (service, weekday sent, days to the answer, days to first
contact): what the working days depend on, so the rows grow with neither referrals nor dates.

Every figure is a GROUP BY in SQL: ``report`` sends the same number of statements whatever the
data size. It only reads, and gives its connection back when done (``end_read``): do not call
it inside a write.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Integer, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from ..checkin.services import hours
from ..cohorts.models import DNA_REASONS, CohortMember
from ..database import db, end_read
from ..directory.models import DirectoryOrganisation, Service, ServicePathway
from ..directory.vocabulary import PATHWAYS
from ..errors import DomainError
from ..followup.models import JobStart, ReferralEvent
from ..followup.vocabulary import JOB_START_HOURS
from ..prisons.models import Prison
from ..referrals.models import Referral, ReferralSet
from ..roster.models import RosterEntry
from ..visits.models import Visit
from ..volunteers.models import Organisation, Volunteer

EARLIEST = date(2000, 1, 1)
NO_LONGER_ELIGIBLE = ("released_early", "transferred")
NOT_RECORDED = "Not recorded"
NO_PATHWAY = "Not filed under a pathway"
ACCEPTED = ("accepted", "first_contact")  # answers that count as accepted


@dataclass(frozen=True)
class Scope:
    """What a report covers; all None means all time, every prison and organisation."""

    visit_id: int | None = None
    start: date | None = None  # visit date from (inclusive)
    end: date | None = None  # visit date to (inclusive)
    prison_id: int | None = None
    organisation_id: int | None = None  # receiving organisation (DirectoryOrganisation)


@dataclass(frozen=True)
class Step:
    """One step of the funnel: men counted, and the rate from the step before."""

    key: str
    label: str
    definition: str
    count: int
    rate: float | None  # count / previous step's count (None when that is 0, or first step)


@dataclass(frozen=True)
class Funnel:
    """The study's funnel from the prison's list to work at 13 weeks."""

    steps: list[Step]
    not_attended: list[tuple[str, int]]  # (reason label, count): everyone on the list not attended
    declined_everything: int  # seen, chose no service (counted, not excluded)


@dataclass(frozen=True)
class ServiceRow:
    """Referrals to one service (or one pathway) and how they were answered."""

    name: str
    made: int
    sent: int
    accepted: int
    declined: int
    unanswered: int
    acceptance_rate: float | None  # accepted / sent
    median_days_to_answer: float | None  # working days sent_on -> answered_on
    median_days_to_first_contact: float | None  # working days sent_on -> first_contact_on
    no_contact: int = 0  # answered "could not contact": sent = the four answers + unanswered
    parts: tuple[int, ...] = ()  # a pathway row: the positions in by_service it adds up


@dataclass(frozen=True)
class HoursRow:
    """Volunteer hours given by one organisation at one visit."""

    organisation: str
    visit_label: str
    volunteers: int
    hours: float


@dataclass(frozen=True)
class PeriodRow:
    """Outcomes for visits in one calendar quarter."""

    period: str
    referrals: int  # referrals made (he agreed to share)
    accepted: int  # of those, accepted (as in the per-service table)
    job_starts: int  # job starts of 4+ paid hours following them (jobs, not men)


@dataclass(frozen=True)
class Report:
    """Every figure of one report."""

    scope: Scope
    title: str
    empty: bool
    funnel: Funnel
    by_service: list[ServiceRow]
    by_pathway: list[ServiceRow]
    volunteer_hours: list[HoursRow]
    over_time: list[PeriodRow]


STEPS = (
    ("on_list", "On the prison's list",
     "Men on the visit's cohort: from the prison's list, added one by one, or walk-ins."),
    ("eligible", "Eligible on the day",
     "Men on the list less those released early or transferred before the visit."),
    ("attended", "Attended",
     "Men marked as attended, or seen by a volunteer though not marked."),
    ("seen", "Seen by a volunteer (engaged)",
     "Men with a referral record saved at the visit, even if they chose no service."),
    ("referred", "Referred to at least one service",
     "Men who agreed to share their details with at least one service."),
    ("sent", "Referral sent", "Men with at least one referral sent to its service."),
    ("accepted", "Accepted",
     "Men with at least one referral accepted (or further, to first contact) by its service."),
    ("first_contact", "First contact",
     "Men contacted by a service they were referred to."),
    ("profile", "IPS vocational profile",
     "Men with a vocational profile started by an IPS employment service."),
    ("job_start", f"Job start ({JOB_START_HOURS}+ paid hours)",
     f"Men who started a job of {JOB_START_HOURS} or more paid hours a week."),
    ("in_work_13", "In work at 13 weeks",
     "Men with such a job start who were still in work 13 weeks after it."),
)
DEFINITIONS = {key: definition for key, _, definition in STEPS} | {
    "declined_everything": "Men seen by a volunteer who chose no service: counted, not excluded.",
    "not_attended": "Men on the list who did not attend, by the reason recorded.",
    "made": "Referrals he agreed to share with the service.",
    "sent_referrals": "Referrals sent to the service.",
    "accepted_referrals": "Referrals the service accepted (first contact and later included).",
    "declined": "Referrals the service declined.",
    "no_contact": "Referrals the service answered as could not contact him.",
    "unanswered": "Referrals sent and not answered yet.",
    "acceptance_rate": "Accepted referrals out of those sent.",
    "median_days_to_answer": "Median working days from sending to the service's answer.",
    "median_days_to_first_contact": "Median working days from sending to first contact.",
    "volunteer_hours": "Hours between each volunteer's sign-in and sign-out, by organisation.",
}


def check_scope(scope: Scope, today: date) -> None:
    """Refuse a scope that cannot be reported on, naming the field (DomainError)."""
    latest = today + timedelta(days=365)
    for name in ("start", "end"):
        day = getattr(scope, name)
        if day is not None and not EARLIEST <= day <= latest:
            raise DomainError("date_out_of_range", f"Enter a date between {EARLIEST:%-d %B %Y} "
                              f"and {latest:%-d %B %Y}", name)
    if scope.start and scope.end and scope.end < scope.start:
        raise DomainError("end_before_start",
                          "The end date must be the same as or after the start date", "end")
    for name, model, what in (("visit_id", Visit, "visit"), ("prison_id", Prison, "prison"),
                              ("organisation_id", DirectoryOrganisation, "organisation")):
        value = getattr(scope, name)
        if value is not None and db.session.get(model, value) is None:
            raise DomainError("not_found", f"There is no such {what}", name)


def report(scope: Scope) -> Report:
    """Every figure for ``scope``: a read with a flat number of statements."""
    funnel = _funnel(scope)
    by_service, service_days = _by_service(scope)
    hours_rows = _volunteer_hours(scope)
    result = Report(
        scope=scope, title=_title(scope),
        empty=funnel.steps[0].count == 0 and not by_service and not hours_rows,
        funnel=funnel, by_service=[row for row, _ in by_service],
        by_pathway=_by_pathway(by_service, service_days), volunteer_hours=hours_rows,
        over_time=_over_time(scope))
    end_read()
    return result


def _visit_conditions(scope: Scope) -> list:
    """WHERE conditions on Visit for the scope."""
    conditions = []
    if scope.visit_id is not None:
        conditions.append(Visit.id == scope.visit_id)
    else:
        conditions.append(Visit.status != "cancelled")
    if scope.start is not None:
        conditions.append(Visit.date >= scope.start)
    if scope.end is not None:
        conditions.append(Visit.date <= scope.end)
    if scope.prison_id is not None:
        conditions.append(Visit.prison_id == scope.prison_id)
    return conditions


def _referrals_in_scope(scope: Scope, *columns):
    """A select of ``columns`` over referrals he agreed to share, at visits in scope (joined
    through his set and cohort membership), to the organisation's services if one is given."""
    query = (select(*columns).select_from(Referral)
             .join(ReferralSet, ReferralSet.id == Referral.set_id)
             .join(CohortMember, CohortMember.id == ReferralSet.member_id)
             .join(Visit, Visit.id == CohortMember.visit_id)
             .where(Referral.consent.is_(True), *_visit_conditions(scope)))
    if scope.organisation_id is not None:
        query = query.where(Referral.service_id.in_(
            select(Service.id).where(Service.organisation_id == scope.organisation_id)))
    return query


def answer():
    """The answer a referral stands at: its status, or for a closed one the status it was
    closed from (its closing event; by its first-contact date if the event is missing). Use
    with ``with_closing``."""
    return case(
        (Referral.status != "closed", Referral.status),
        (_CLOSING.from_status.is_not(None), _CLOSING.from_status),
        (Referral.first_contact_on.is_not(None), literal("first_contact")),
        else_=literal("closed"))


_CLOSING = aliased(ReferralEvent, name="closing")


def with_closing(query):
    """The query with each referral's closing event joined (closed is final, so at most one)."""
    return query.outerjoin(_CLOSING, and_(_CLOSING.referral_id == Referral.id,
                                          _CLOSING.status == "closed"))


def flag(condition):
    """1 when the condition holds, else 0 (for SUM and MAX)."""
    return case((condition, 1), else_=0)


def _men_referrals(scope: Scope):
    """Per cohort member: whether he reached each referral step (0 or 1)."""
    accepted = answer().in_(ACCEPTED)
    return with_closing(_referrals_in_scope(
        scope, ReferralSet.member_id.label("member_id"),
        func.max(flag(Referral.sent_on.is_not(None))).label("sent"),
        func.max(flag(accepted)).label("accepted"),
        func.max(flag(Referral.first_contact_on.is_not(None))).label("first_contact"),
        func.max(flag(Referral.profile_started_on.is_not(None))).label("profile"),
    )).group_by(ReferralSet.member_id).subquery("men_referrals")


def _men_jobs(scope: Scope):
    """Per cohort member with a job start of 4+ paid hours: in work at 13 weeks (0 or 1)."""
    return (_referrals_in_scope(
        scope, ReferralSet.member_id.label("member_id"),
        func.max(flag(JobStart.in_work_13_weeks.is_(True))).label("in_work_13"))
        .join(JobStart, JobStart.referral_id == Referral.id)
        .where(JobStart.hours_per_week >= JOB_START_HOURS)
        .group_by(ReferralSet.member_id).subquery("men_jobs"))


def _attended():
    """He came: marked attended, or has a referral set (use with ReferralSet joined). Never
    NULL (an unmarked man is simply not attended), so NOT of it is safe too."""
    return or_(func.coalesce(CohortMember.attendance, "") == "attended",
               ReferralSet.id.is_not(None))


def _funnel_counts(scope: Scope) -> dict[str, int]:
    """One row of step counts for the men at visits in scope."""
    referrals, jobs = _men_referrals(scope), _men_jobs(scope)
    no_referral = ~exists().where(Referral.set_id == ReferralSet.id)
    gone = and_(~_attended(), func.coalesce(CohortMember.dna_reason, "").in_(NO_LONGER_ELIGIBLE))
    row = db.session.execute(
        select(func.count(CohortMember.id).label("on_list"),
               func.sum(flag(~gone)).label("eligible"),
               func.sum(flag(_attended())).label("attended"),
               func.count(ReferralSet.id).label("seen"),
               func.count(referrals.c.member_id).label("referred"),
               func.sum(referrals.c.sent).label("sent"),
               func.sum(referrals.c.accepted).label("accepted"),
               func.sum(referrals.c.first_contact).label("first_contact"),
               func.sum(referrals.c.profile).label("profile"),
               func.count(jobs.c.member_id).label("job_start"),
               func.sum(jobs.c.in_work_13).label("in_work_13"),
               func.sum(flag(and_(ReferralSet.id.is_not(None), no_referral)))
               .label("declined_everything"))
        .select_from(CohortMember)
        .join(Visit, Visit.id == CohortMember.visit_id)
        .outerjoin(ReferralSet, ReferralSet.member_id == CohortMember.id)
        .outerjoin(referrals, referrals.c.member_id == CohortMember.id)
        .outerjoin(jobs, jobs.c.member_id == CohortMember.id)
        .where(*_visit_conditions(scope))).one()
    return {key: int(value or 0) for key, value in row._mapping.items()}


def _not_attended(scope: Scope) -> list[tuple[str, int]]:
    """Men on the list who did not attend, by reason, in the reasons' own order."""
    rows = db.session.execute(
        select(CohortMember.dna_reason, func.count(CohortMember.id))
        .join(Visit, Visit.id == CohortMember.visit_id)
        .outerjoin(ReferralSet, ReferralSet.member_id == CohortMember.id)
        .where(~_attended(), *_visit_conditions(scope))
        .group_by(CohortMember.dna_reason)).all()
    counts = dict(rows)
    ordered = [(label, counts.get(code, 0)) for code, label in DNA_REASONS.items()]
    return [item for item in ordered if item[1]] + (
        [(NOT_RECORDED, counts[None])] if counts.get(None) else [])


def rate(count: int, of: int) -> float | None:
    """count / of, or None when ``of`` is 0 (shown as "–", never "nan%")."""
    return count / of if of else None


def _funnel(scope: Scope) -> Funnel:
    """The funnel's steps with the rate from each step to the next."""
    counts = _funnel_counts(scope)
    steps, previous = [], None
    for key, label, definition in STEPS:
        count = counts[key]
        steps.append(Step(key, label, definition, count,
                          None if previous is None else rate(count, previous)))
        previous = count
    return Funnel(steps=steps, not_attended=_not_attended(scope),
                  declined_everything=counts["declined_everything"])


def working_days(start: date, end: date) -> int:
    """Monday-to-Friday days after ``start`` up to and including ``end`` (0 if end is not
    later): the inverse of ``followup.chase.add_working_days`` for a weekday start."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    return weeks * 5 + sum((start + timedelta(days=day)).weekday() < 5
                           for day in range(1, rest + 1))


def median(counts: Counter) -> float | None:
    """The median of values given as {value: how many times}, or None when there are none."""
    total = sum(counts.values())
    if not total:
        return None
    low, high = (total - 1) // 2, total // 2
    found, position = {}, 0
    for value, times in sorted(counts.items()):
        for index in (low, high):
            if position <= index < position + times:
                found[index] = value
        position += times
    return (found[low] + found[high]) / 2


@dataclass
class _Days:
    """Working days to answer and to first contact, as {days: referrals}."""

    answer: Counter = field(default_factory=Counter)
    first_contact: Counter = field(default_factory=Counter)

    def add(self, other: _Days) -> None:
        """Count the other's referrals in too."""
        self.answer.update(other.answer)
        self.first_contact.update(other.first_contact)


class day_number(FunctionElement):
    """SQL: the days from Monday 1 January of year 1 to a date (``date.toordinal() - 1``), so
    its remainder by 7 is the weekday (Monday 0) and the difference of two is days between."""

    type = Integer()
    inherit_cache = True


@compiles(day_number)
def _day_number(element, compiler, **kw):
    """PostgreSQL: a date less a date is a number of days."""
    return f"({compiler.process(element.clauses, **kw)} - DATE '0001-01-01')"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    """SQLite: from the Julian day number (that of 1 January of year 1 is 1721425.5)."""
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 1721425.5 AS INTEGER)"


A_MONDAY = date(2001, 1, 1)


def _working_days_after(weekday: int | None, days: int | None) -> int | None:
    """Working days from a start on ``weekday`` (Monday 0) to ``days`` later, or None."""
    if weekday is None or days is None:
        return None
    start = A_MONDAY + timedelta(days=weekday)
    return working_days(start, start + timedelta(days=days))


COUNTED = ("made", "sent", "accepted", "declined", "no_contact", "unanswered")


def _service_row(name: str, counts: dict[str, int], days: _Days,
                 parts: tuple[int, ...] = ()) -> ServiceRow:
    """A table row from its counts and its working-day tallies."""
    return ServiceRow(name=name, **{key: counts[key] for key in COUNTED},
                      acceptance_rate=rate(counts["accepted"], counts["sent"]),
                      median_days_to_answer=median(days.answer),
                      median_days_to_first_contact=median(days.first_contact), parts=parts)


def _service_tallies(scope: Scope) -> dict[int, tuple[Counter, _Days]]:
    """Per service, its counts and its working-day tallies, from one pass over its referrals
    grouped by answer and by what the working days depend on: the weekday it was sent and the
    days to the answer and to first contact (so the rows grow with neither referrals nor
    distinct dates). The weekday leads the GROUP BY because SQLite would otherwise read the
    referrals in service order through their service index, one page jump per referral."""
    sent = day_number(Referral.sent_on)
    keys = (sent % 7, Referral.service_id, answer(), day_number(Referral.answered_on) - sent,
            day_number(Referral.first_contact_on) - sent)
    rows = db.session.execute(with_closing(_referrals_in_scope(
        scope, *keys, func.count(Referral.id))).group_by(*keys)).all()
    tallies: dict[int, tuple[Counter, _Days]] = defaultdict(lambda: (Counter(), _Days()))
    for sent_weekday, service_id, answer_now, to_answer, to_contact, times in rows:
        counts, days = tallies[service_id]
        counts.update(made=times, sent=times if sent_weekday is not None else 0,
                      unanswered=times if sent_weekday is not None and to_answer is None else 0,
                      accepted=times if answer_now in ACCEPTED else 0,
                      declined=times if answer_now == "declined" else 0,
                      no_contact=times if answer_now == "no_contact" else 0)
        if (answer_days := _working_days_after(sent_weekday, to_answer)) is not None:
            days.answer[answer_days] += times
        if (contact_days := _working_days_after(sent_weekday, to_contact)) is not None:
            days.first_contact[contact_days] += times
    return tallies


def _by_service(scope: Scope) -> tuple[list[tuple[ServiceRow, int]], dict[int, _Days]]:
    """Per service, most referrals first (then by name, as the database sorts names): (row,
    service id), and each service's day tallies."""
    tallies = _service_tallies(scope)
    named = db.session.execute(select(Service.id, Service.name)
                               .where(Service.id.in_(list(tallies)))
                               .order_by(Service.name, Service.id)).all()
    ordered = sorted(named, key=lambda service: -tallies[service.id][0]["made"])  # stable
    return ([(_service_row(name, tallies[service_id][0], tallies[service_id][1]), service_id)
             for service_id, name in ordered],
            {service_id: days for service_id, (_, days) in tallies.items()})


def _by_pathway(by_service: list[tuple[ServiceRow, int]],
                days: dict[int, _Days]) -> list[ServiceRow]:
    """The services' rows added up by the pathways they are filed under (a service under two
    pathways counts in both), in the pathways' order; services under none come last."""
    filed = defaultdict(list)
    for service_id, pathway in db.session.execute(
            select(ServicePathway.service_id, ServicePathway.pathway).where(
                ServicePathway.service_id.in_([service_id for _, service_id in by_service]))):
        filed[service_id].append(pathway)
    totals: dict[str, Counter] = defaultdict(Counter)
    tallies: dict[str, _Days] = defaultdict(_Days)
    parts: dict[str, list[int]] = defaultdict(list)
    for position, (row, service_id) in enumerate(by_service):
        for pathway in filed[service_id] or [None]:
            label = PATHWAYS.get(pathway, NO_PATHWAY)
            totals[label].update({key: getattr(row, key) for key in COUNTED})
            tallies[label].add(days[service_id])
            parts[label].append(position)
    order = [*PATHWAYS.values(), NO_PATHWAY]
    return [_service_row(label, totals[label], tallies[label], tuple(parts[label]))
            for label in order if label in totals]


def _visit_label(title: str, prison: str, day: date) -> str:
    """A visit as people name it: its title, prison and date."""
    return f"{title}, {prison}, {day:%-d %b %Y}"


def _volunteer_hours(scope: Scope) -> list[HoursRow]:
    """Hours by volunteer organisation and visit, from each signed-out roster entry (the
    time difference is worked out in Python: date arithmetic differs between databases).
    The receiving organisation of the scope does not narrow it."""
    rows = db.session.execute(
        select(Organisation.name.label("organisation"), Visit.id, Visit.title, Visit.date,
               Prison.name.label("prison"), RosterEntry.volunteer_id,
               RosterEntry.signed_in_at, RosterEntry.signed_out_at)
        .select_from(RosterEntry)
        .join(Visit, Visit.id == RosterEntry.visit_id)
        .join(Prison, Prison.id == Visit.prison_id)
        .join(Volunteer, Volunteer.id == RosterEntry.volunteer_id)
        .join(Organisation, Organisation.id == Volunteer.organisation_id)
        .where(RosterEntry.signed_in_at.is_not(None), RosterEntry.signed_out_at.is_not(None),
               *_visit_conditions(scope))
        .order_by(Visit.date, Visit.id, Organisation.name)).all()
    grouped: dict[tuple, tuple[set, float]] = {}
    for row in rows:
        key = (row.organisation, _visit_label(row.title, row.prison, row.date), row.id)
        people, total = grouped.get(key, (set(), 0.0))
        grouped[key] = (people | {row.volunteer_id}, total + hours(row))
    return [HoursRow(organisation, label, len(people), round(total, 2))
            for (organisation, label, _), (people, total) in grouped.items()]


def quarter_of(day: date) -> tuple[int, int]:
    """The calendar (year, quarter) a day falls in."""
    return day.year, (day.month - 1) // 3 + 1


def _quarters(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    """Every calendar quarter from first to last, so gaps show as zeros."""
    quarters, (year, quarter) = [], first
    while (year, quarter) <= last:
        quarters.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return quarters


def _over_time(scope: Scope) -> list[PeriodRow]:
    """Referrals, acceptances and job starts by calendar quarter of the visit date, from
    counts grouped by visit date."""
    made = db.session.execute(with_closing(_referrals_in_scope(
        scope, Visit.date, func.count(Referral.id),
        func.sum(flag(answer().in_(ACCEPTED)))))
        .group_by(Visit.date)).all()
    jobs = db.session.execute(_referrals_in_scope(scope, Visit.date, func.count(JobStart.id))
                              .join(JobStart, JobStart.referral_id == Referral.id)
                              .where(JobStart.hours_per_week >= JOB_START_HOURS)
                              .group_by(Visit.date)).all()
    totals: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for day, referrals, accepted in made:
        totals[quarter_of(day)].update(referrals=referrals, accepted=int(accepted or 0))
    for day, job_starts in jobs:
        totals[quarter_of(day)].update(job_starts=job_starts)
    if not totals:
        return []
    return [PeriodRow(f"{year} Q{quarter}", totals[(year, quarter)]["referrals"],
                      totals[(year, quarter)]["accepted"], totals[(year, quarter)]["job_starts"])
            for year, quarter in _quarters(min(totals), max(totals))]


def _when(scope: Scope) -> str:
    """The scope's dates in words."""
    if scope.start and scope.end:
        return f"{scope.start:%-d %b %Y} to {scope.end:%-d %b %Y}"
    if scope.start:
        return f"from {scope.start:%-d %b %Y}"
    if scope.end:
        return f"up to {scope.end:%-d %b %Y}"
    return "all time"


def _title(scope: Scope) -> str:
    """What the report covers, in words (a checked scope: its ids exist)."""
    if scope.visit_id is not None:
        visit = db.session.get(Visit, scope.visit_id)
        title = _visit_label(visit.title, visit.prison.name, visit.date)
    else:
        prison = db.session.get(Prison, scope.prison_id) if scope.prison_id else None
        title = f"{prison.name if prison else 'All prisons'}, {_when(scope)}"
    if scope.organisation_id is not None:
        organisation = db.session.get(DirectoryOrganisation, scope.organisation_id)
        title += f": referrals to {organisation.name}"
    return title
