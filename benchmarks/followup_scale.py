"""The follow-up pages at scale: a visit's follow-up board for 200 men, and the chase list (with
the home page that shows its top items) over 5,000 referrals, each beside the same page at a
small size and beside a bare endpoint (``/healthz``) on the same app, so the statement counts
show they stay flat and the times can be read as ratios on a noisy machine.

The rows are written straight into the tables in a few write transactions (the status service
checks each change against today's date, which a year of history cannot pass): visits in the
past, men with a referral set, referrals through every status (sent long enough ago to be
overdue where they are unanswered, released long enough ago to need a first contact), and an
IPS job start due its checks for every fourth man. Pages are requested through Flask's test
client, logged in through the login form as an organiser; each page once to count its SQL
statements (``inreach.database.counting_statements``), then timed ``--requests`` times (median).
Every board and chase-list request also writes its audit row, as in real use.

Run from the repository::

    .venv/bin/python -m benchmarks.followup_scale
    .venv/bin/python -m benchmarks.followup_scale --database-url postgresql+psycopg://…

A PostgreSQL URL (or INREACH_DATABASE_URL) is a throwaway database: **its public schema is
dropped and recreated**. SQLite uses a file in a temporary folder, deleted afterwards.
"""

import argparse
import tempfile
from datetime import date, time, timedelta
from time import perf_counter

from sqlalchemy import func, select

from inreach import create_app
from inreach.accounts.services import create_user
from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.demo.seed import DEFAULT_PASSWORD
from inreach.directory.models import DirectoryOrganisation, Service
from inreach.followup.chase import chase_items
from inreach.followup.models import JobStart
from inreach.prisons.models import Prison
from inreach.referrals.consent import wording_id_for
from inreach.referrals.models import Referral, ReferralSet
from inreach.visits.models import Visit, VisitSession

from .common import (
    AppBrowser,
    app_config,
    database_kind,
    database_url,
    log_in,
    measure,
    prison_number,
)

ORGANISER = "organiser@followup-benchmark.example"
STATES = ("made", "sent", "sent", "accepted", "declined", "no_contact", "first_contact",
          "closed", "not_shared")  # sent twice: unanswered referrals are the common case
BOARD_MEN = 200
SMALL_MEN = 5
CHASE_REFERRALS = 5000
MEN_PER_VISIT = 50
SERVICES = 12  # every third one IPS, every fourth one by phone rather than email


# --- building ---------------------------------------------------------------------------------

def build_services() -> list[int]:
    """Referable services with their answer times (5 to 20 working days) and routes."""
    begin_write()
    organisation = DirectoryOrganisation(name="Benchmark Trust")
    services = [Service(organisation=organisation, name=f"Service {n:02d}", referable=True,
                        next_steps="They will phone you", ips=n % 3 == 0,
                        referral_route="phone" if n % 4 == 0 else "email",
                        referral_email="" if n % 4 == 0 else f"referrals{n}@example.org",
                        referral_instructions="Phone 020 7946 0999" if n % 4 == 0 else "",
                        answer_days=5 + n % 4 * 5) for n in range(SERVICES)]
    db.session.add_all(services)
    db.session.commit()
    return [service.id for service in services]


def build_visit(prison_id: int, day: date, men: int, first_number: int, services: list[int],
                organiser_id: int) -> int:
    """A past visit of ``men`` men, each with two referrals in turn through every state."""
    begin_write()
    session = VisitSession(label="Cohort 1", starts_at=time(9, 30), ends_at=time(12),
                           room="Chapel", capacity=200)
    visit = Visit(prison_id=prison_id, date=day, title="Benchmark day", gate_list_deadline=day,
                  status="completed", sessions=[session])
    db.session.add(visit)
    db.session.flush()
    wording = wording_id_for(1)
    for offset in range(men):
        number = first_number + offset
        person = Person(prison_number=prison_number(number), first_name=f"Man{number}",
                        last_name="Fictional", release_date=day + timedelta(days=10))
        member = CohortMember(visit=visit, person=person, session=session)
        referral_set = ReferralSet(member=member, session_id=session.id, recorded_by=organiser_id,
                                   consent_wording_id=wording)
        for pick in range(2):
            service_id = services[(number + pick * 5) % len(services)]
            referral_set.referrals.append(
                referral(STATES[(number + pick) % len(STATES)], service_id, day))
        db.session.add(referral_set)
    db.session.flush()
    add_job_starts(visit.id, day, organiser_id)
    db.session.commit()
    return visit.id


def referral(status: str, service_id: int, day: date) -> Referral:
    """A referral standing at ``status``, sent the day after the visit and answered four days
    later where its status says so."""
    item = Referral(service_id=service_id, consent=status != "not_shared", status=status)
    if status not in ("made", "not_shared"):
        item.sent_on, item.sent_how = day + timedelta(days=1), "email"
    if status not in ("made", "not_shared", "sent"):
        item.answered_on = day + timedelta(days=5)
    if status in ("first_contact", "closed"):
        item.first_contact_on = day + timedelta(days=12)
    return item


def add_job_starts(visit_id: int, day: date, organiser_id: int) -> None:
    """A job start 20 days after the visit on every fourth IPS referral that reached him."""
    query = (select(Referral.id).join(ReferralSet).join(CohortMember)
             .join(Service, Referral.service_id == Service.id)
             .where(CohortMember.visit_id == visit_id, Service.ips,
                    Referral.status.in_(("first_contact", "closed"))).order_by(Referral.id))
    db.session.add_all(JobStart(referral_id=referral_id, started_on=day + timedelta(days=20),
                                hours_per_week=16, recorded_by=organiser_id)
                       for referral_id in list(db.session.scalars(query))[::4])


def referral_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Referral))


# --- measuring --------------------------------------------------------------------------------

def line(label: str, figure: dict, bare: dict) -> str:
    """One row of figures, with the time as a multiple of the bare endpoint's."""
    flag = "" if figure["status"] == 200 else f"  (HTTP {figure['status']})"
    return (f"  {label:<44} {figure['statements']:>3} statements  {figure['kb']:>7.0f} KB  "
            f"{figure['ms']:>8.1f} ms  ({figure['ms'] / bare['ms']:.0f}x bare){flag}")


def run(url: str, requests: int) -> None:
    """Build and measure at the small size, then at the big sizes; print the figures."""
    app = create_app(app_config(url))
    with app.app_context():
        db.create_all()
        organiser_id = create_user(ORGANISER, "Benchmark organiser", "organiser",
                                   DEFAULT_PASSWORD).id
        begin_write()
        prison = Prison(code="WSI", name="HMP Wormwood Scrubs")
        db.session.add(prison)
        db.session.commit()
        prison_id, services = prison.id, build_services()
        small = build_visit(prison_id, today() - timedelta(days=120), SMALL_MEN, 0, services,
                            organiser_id)
    browser = AppBrowser(app)
    log_in(browser, ORGANISER)
    bare = measure(app, browser, "/healthz", requests)
    pages = {"chase list": "/follow-up/chase", "home (top 10 of the chase list)": "/"}
    print(f"database: {database_kind(url)}; {requests} timed requests per page (median)")
    print(f"  {'bare endpoint /healthz':<44} {bare['statements']:>3} statements  "
          f"{bare['kb']:>7.0f} KB  {bare['ms']:>8.1f} ms")
    with app.app_context():
        print(f"small: a {SMALL_MEN}-man visit, {referral_count()} referrals, "
              f"{len(chase_items(today()))} to chase")
    print(line(f"follow-up board, {SMALL_MEN} men",
               measure(app, browser, f"/follow-up/visits/{small}", requests), bare))
    for label, path in pages.items():
        print(line(label, measure(app, browser, path, requests), bare))

    with app.app_context():
        start = perf_counter()
        large = build_visit(prison_id, today() - timedelta(days=90), BOARD_MEN, 1000, services,
                            organiser_id)
        number, visits = 2000, 0
        while referral_count() < CHASE_REFERRALS:
            day = today() - timedelta(days=60 + 7 * visits)
            build_visit(prison_id, day, MEN_PER_VISIT, number, services, organiser_id)
            number, visits = number + MEN_PER_VISIT, visits + 1
        built = perf_counter() - start
        print(f"big: a {BOARD_MEN}-man visit and {visits} of {MEN_PER_VISIT} men, "
              f"{referral_count():,} referrals, {len(chase_items(today())):,} to chase "
              f"(built in {built:.1f} s)")
    print(line(f"follow-up board, {BOARD_MEN} men",
               measure(app, browser, f"/follow-up/visits/{large}", requests), bare))
    print(line(f"follow-up board, {BOARD_MEN} men, only overdue",
               measure(app, browser, f"/follow-up/visits/{large}?overdue=y", requests), bare))
    for label, path in pages.items():
        print(line(label, measure(app, browser, path, requests), bare))
    print(line("chase list, last page",
               measure(app, browser, "/follow-up/chase?page=9999", requests), bare))
    print(line(f"chase list of the {BOARD_MEN}-man visit",
               measure(app, browser, f"/follow-up/chase?visit={large}", requests), bare))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database (emptied)")
    parser.add_argument("--requests", type=int, default=5, help="timed requests per page")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(database_url(arguments.database_url, folder), arguments.requests)


if __name__ == "__main__":
    main()
