"""A hand-made data set for the report tests whose every figure is known (the study's shapes:
61 men seen, 23 with a job start; 63 referrals to a mental-health service, 9 accepted), and a
plain one of any size for statement counts. Rows go straight into the real test database in
one write each. All names are made up.

Visit A (Thursday 15 January 2026, completed) has 80 men on its list:
- s0..s60 seen (a referral set each; s60 not marked attended; s50..s59 walk-ins);
  s61..s65 attended but not seen; absent: 3 released early, 2 transferred, 4 refused,
  1 unwell; 4 never marked.
- s0 declined everything; s1 chose housing but did not agree to share (not_shared).
- IPS employment (Fictional Works, IPS): s2..s40 (39). s2..s30 first contact (s2..s28 with a
  vocational profile), s31..s32 accepted then closed, s33 declined, s34 could not contact,
  s35..s37 sent and unanswered, s38 sent then closed unanswered, s39..s40 made, not sent.
  Job starts of 16 hours for s2..s24 (s2 has two), 3 hours for s25; s2..s16 in work at 13
  weeks, s17..s20 not.
- Mental health (Mind the Gap Trust): s2..s54 (53). s2..s6 accepted, s7..s8 first contact,
  s9 declined then closed, s10..s29 declined, s30..s39 could not contact, s40..s54 sent and
  unanswered.
- Housing desk (Fictional Works): s41..s60 made, not sent.
Visit B (Tuesday 12 May 2026, completed): 10 men, all attended and referred to mental health:
b0..b1 accepted, b2 accepted then corrected to declined, b3..b7 declined, b8..b9 unanswered.
Visit C (1 March 2026, cancelled): 5 men referred to mental health, left out of all-time.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, db
from inreach.directory.models import DirectoryOrganisation, Service, ServicePathway
from inreach.followup.chase import add_working_days
from inreach.followup.models import JobStart, ReferralEvent
from inreach.prisons.models import Prison
from inreach.referrals.consent import wording_id_for
from inreach.referrals.models import Referral, ReferralSet
from inreach.roster.models import RosterEntry
from inreach.visits.models import Visit, VisitSession
from inreach.volunteers.models import Organisation, Volunteer

VISIT_A = date(2026, 1, 15)
VISIT_B = date(2026, 5, 12)
VISIT_C = date(2026, 3, 1)
SENT_A = date(2026, 1, 19)  # a Monday
SENT_B = date(2026, 5, 13)  # a Wednesday


@dataclass
class Study:
    """The ids a test needs."""

    prison: int
    other_prison: int
    visit_a: int
    visit_b: int
    visit_c: int
    mental_health: int
    ips: int
    housing: int
    works: int  # Fictional Works: IPS and housing
    trust: int  # Mind the Gap Trust: mental health


class Maker:
    """Adds rows in the open write transaction, numbering men so prison numbers stay unique."""

    def __init__(self, recorded_by: int, letter: str = "A"):
        self.recorded_by, self.letter = recorded_by, letter
        self.count = 0
        self.wording = wording_id_for(1)

    def visit(self, prison: Prison, day: date, status: str = "completed") -> Visit:
        """A visit with one session of 200 places."""
        item = Visit(prison=prison, date=day, title="Employment and wellbeing day",
                     gate_list_deadline=day, status=status,
                     sessions=[VisitSession(label="Cohort 1", starts_at=time(9, 30),
                                            ends_at=time(12), room="Chapel", capacity=200)])
        db.session.add(item)
        db.session.flush()  # referral sets name the session by id
        return item

    def member(self, visit: Visit, attendance: str | None = "attended",
               reason: str | None = None, walk_in: bool = False) -> CohortMember:
        """A man on the visit's cohort (a made-up person)."""
        self.count += 1
        person = Person(prison_number=f"{self.letter}{self.count:04d}AA",
                        first_name=f"First{self.count}", last_name="Fictional", release_type="CRD",
                        release_date=visit.date + timedelta(days=30),
                        date_of_birth=date(1990, 1, 1))
        member = CohortMember(visit=visit, person=person, session=visit.sessions[0],
                              attendance=attendance, dna_reason=reason, walk_in=walk_in)
        db.session.add(member)
        return member

    def seen(self, member: CohortMember) -> ReferralSet:
        """His referral set (no referrals yet), with a phone to purge."""
        item = ReferralSet(member=member, session_id=member.session.id,
                           recorded_by=self.recorded_by, consent_wording_id=self.wording,
                           phone="07700 900123")
        db.session.add(item)
        return item

    def referral(self, referral_set: ReferralSet, service: Service, status: str,
                 sent: date | None = None, answer_days: int = 5, **facts) -> Referral:
        """A referral at ``status``; sent ones are sent on ``sent`` and answered (if answered)
        ``answer_days`` working days later."""
        answered = status in ("accepted", "declined", "no_contact", "first_contact")
        item = Referral(referral_set=referral_set, service=service, status=status,
                        consent=status != "not_shared", sent_on=sent,
                        answered_on=add_working_days(sent, answer_days) if answered else None,
                        **facts)
        db.session.add(item)
        return item

    def close(self, referral: Referral, from_status: str) -> Referral:
        """Close the referral after ``from_status``, with the closing event (and the answer)."""
        if from_status in ("accepted", "declined", "no_contact"):
            referral.answered_on = add_working_days(referral.sent_on, 5)
        self.event(referral, "closed", from_status)
        referral.status, referral.closed_on = "closed", referral.sent_on + timedelta(days=30)
        return referral

    def event(self, referral: Referral, status: str, from_status: str) -> None:
        """A status change in the referral's history."""
        db.session.add(ReferralEvent(referral=referral, status=status, from_status=from_status,
                                     on_date=referral.sent_on, how="recorded",
                                     actor_id=self.recorded_by))

    def job(self, referral: Referral, hours: float, in_work_13: bool | None = None) -> None:
        """A job start after the referral."""
        db.session.add(JobStart(referral=referral, started_on=date(2026, 3, 2),
                                hours_per_week=hours, in_work_13_weeks=in_work_13,
                                recorded_by=self.recorded_by))


def _services() -> tuple[Service, Service, Service]:
    """Mental health (Mind the Gap Trust), IPS employment and housing (Fictional Works)."""
    trust = DirectoryOrganisation(name="Mind the Gap Trust")
    works = DirectoryOrganisation(name="Fictional Works")
    steps = "They will phone you in the week after release"
    mental = Service(organisation=trust, name="Talking therapies", referable=True,
                     next_steps=steps, pathways=[ServicePathway(pathway="health")])
    ips = Service(organisation=works, name="IPS employment", referable=True, ips=True,
                  next_steps=steps, pathways=[ServicePathway(pathway="education_work"),
                                              ServicePathway(pathway="health")])
    housing = Service(organisation=works, name="Housing desk", referable=True,
                      next_steps=steps, pathways=[ServicePathway(pathway="accommodation")])
    db.session.add_all([mental, ips, housing])
    return mental, ips, housing


def _visit_a_men(make: Maker, visit: Visit) -> list[ReferralSet]:
    """Visit A's 80 men; the sets of the 61 seen (s0..s60)."""
    sets = [make.seen(make.member(visit, None if number == 60 else "attended",
                                  walk_in=50 <= number <= 59)) for number in range(61)]
    for _ in range(5):
        make.member(visit)
    for reason, count in (("released_early", 3), ("transferred", 2), ("refused", 4),
                          ("unwell", 1)):
        for _ in range(count):
            make.member(visit, "absent", reason)
    for _ in range(4):
        make.member(visit, None)
    return sets


def _ips(make: Maker, sets: list[ReferralSet], ips: Service) -> None:
    """Visit A's IPS referrals and job starts (see the module docstring)."""
    for number in range(2, 41):
        one = sets[number]
        if number <= 30:
            referral = make.referral(
                one, ips, "first_contact", SENT_A, first_contact_on=SENT_A + timedelta(days=14),
                profile_started_on=SENT_A + timedelta(days=21) if number <= 28 else None)
            if number <= 24:
                make.job(referral, 16, True if number <= 16 else False if number <= 20 else None)
            if number == 2:
                make.job(referral, 20)
            if number == 25:
                make.job(referral, 3)
        elif number <= 32:
            make.close(make.referral(one, ips, "sent", SENT_A), "accepted")
        elif number <= 37:
            status = {33: "declined", 34: "no_contact"}.get(number, "sent")
            make.referral(one, ips, status, SENT_A)
        elif number == 38:
            make.close(make.referral(one, ips, "sent", SENT_A), "sent")
        else:
            make.referral(one, ips, "made")


def _mental_health_a(make: Maker, sets: list[ReferralSet], mental: Service) -> None:
    """Visit A's 53 mental-health referrals (7 accepted)."""
    for number in range(2, 55):
        one = sets[number]
        if number <= 6:
            make.referral(one, mental, "accepted", SENT_A)
        elif number <= 8:
            make.referral(one, mental, "first_contact", SENT_A, first_contact_on=add_working_days(
                SENT_A, 8 if number == 7 else 9))
        elif number == 9:
            make.close(make.referral(one, mental, "sent", SENT_A), "declined")
        else:
            status = "declined" if number <= 29 else "no_contact" if number <= 39 else "sent"
            make.referral(one, mental, status, SENT_A)


def _visit_b(make: Maker, visit: Visit, mental: Service) -> None:
    """Visit B's 10 mental-health referrals (2 accepted), answered in 10 working days."""
    for number in range(10):
        one = make.seen(make.member(visit))
        status = "accepted" if number <= 1 else "declined" if number <= 7 else "sent"
        referral = make.referral(one, mental, status, SENT_B, answer_days=10)
        if number == 2:
            make.event(referral, "accepted", "sent")
            make.event(referral, "declined", "accepted")


def _volunteers(visit: Visit) -> None:
    """Two North Thames volunteers (4.5 and 3 hours), one Fictional Charity volunteer (2
    hours) and one still signed in at visit A."""
    nhs = Organisation(name="North Thames NHS Trust", kind="nhs_trust")
    charity = Organisation(name="Fictional Charity", kind="charity")

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime.combine(VISIT_A, time(hour, minute), UTC)

    for name, organisation, out in (("Sam Fictional", nhs, at(13, 30)),
                                    ("Alex Fictional", nhs, at(12)),
                                    ("Jo Fictional", charity, at(11)),
                                    ("Kim Fictional", charity, None)):
        volunteer = Volunteer(name=name, organisation=organisation)
        db.session.add(RosterEntry(visit=visit, volunteer=volunteer, role_on_day="Adviser",
                                   confirmed=True, signed_in_at=at(9), signed_out_at=out))


def study(recorded_by: int) -> Study:
    """Build the whole data set in one write."""
    begin_write()
    make = Maker(recorded_by)
    prison = Prison(code="WSI", name="HMP Wormwood Scrubs")
    other = Prison(code="PEN", name="HMP Pentonville")
    mental, ips, housing = _services()
    visit_a, visit_b = make.visit(prison, VISIT_A), make.visit(prison, VISIT_B)
    visit_c = make.visit(prison, VISIT_C, "cancelled")
    sets = _visit_a_men(make, visit_a)
    make.referral(sets[1], housing, "not_shared")
    _ips(make, sets, ips)
    _mental_health_a(make, sets, mental)
    for number in range(41, 61):
        make.referral(sets[number], housing, "made")
    _visit_b(make, visit_b, mental)
    for _ in range(5):
        make.referral(make.seen(make.member(visit_c)), mental, "made")
    _volunteers(visit_a)
    db.session.add(other)
    db.session.commit()
    return Study(prison.id, other.id, visit_a.id, visit_b.id, visit_c.id, mental.id, ips.id,
                 housing.id, ips.organisation_id, mental.organisation_id)


def plain(recorded_by: int, men: int, day: date = VISIT_A, letter: str = "P") -> int:
    """A visit of ``men`` men, each seen and referred to IPS (accepted, a job start each) and
    to one of several services: for statement counts. Returns the visit id."""
    begin_write()
    make = Maker(recorded_by, letter)
    prison = db.session.query(Prison).first() or Prison(code="WSI", name="HMP Wormwood Scrubs")
    visit = make.visit(prison, day)
    services = [Service(organisation=DirectoryOrganisation(name=f"Fictional {number}"),
                        name=f"Service {number}", pathways=[ServicePathway(pathway="health")])
                for number in range(max(men // 5, 1))]
    ips = Service(organisation=DirectoryOrganisation(name="Fictional Works"), name="IPS",
                  ips=True)
    for number in range(men):
        one = make.seen(make.member(visit))
        referral = make.referral(one, ips, "first_contact", day + timedelta(days=4),
                                 first_contact_on=day + timedelta(days=10 + number % 7),
                                 answer_days=number % 9, profile_started_on=day)
        make.job(referral, 10 + number % 20, number % 2 == 0)
        make.referral(one, services[number % len(services)], "declined",
                      day + timedelta(days=number % 5))
    db.session.commit()
    return visit.id
