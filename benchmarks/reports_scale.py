"""The reports at scale: five years of in-reach days (500 visits, 50,000 men, 150,000 referrals,
20,000 job starts) and what a report costs on them, beside the same pages on the demo data and a
bare endpoint (``/healthz``) on the same app, in one run.

Measured, through Flask's test client logged in as the demo organiser (median of
``--requests``): the all-time report page (target < 1 s), one 100-man visit's report
(< 200 ms), the all-time report PDF (< 3 s), and each page's SQL statements on the demo data
and on the big data (they must be equal). Then, through the real app under waitress on loopback
(its own process, 16 threads): a tablet's referral save, alone and while another client renders
the all-time report back to back (p95 target < 100 ms: a report only reads, so it must never
hold the write lock a save waits for).

The big data is written with plain Core INSERTs in a few write transactions (the services check
every rule one man at a time, which five years of history does not need): visits over five
years at ten prisons, 100 men each (70 attended, the rest absent for a reason), 60 of them seen
with five referrals each through every status, a job start on IPS referrals that got that far,
and five volunteers signed in and out at every visit.

Run from the repository::

    .venv/bin/python -m benchmarks.reports_scale
    .venv/bin/python -m benchmarks.reports_scale --scale small   # a tenth of the data
    .venv/bin/python -m benchmarks.reports_scale --database-url postgresql+psycopg://…

A PostgreSQL URL (or INREACH_DATABASE_URL) is a throwaway database: **its public schema is
dropped and recreated**. SQLite uses a file in a temporary folder, deleted afterwards.
"""

import argparse
import random
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter

from sqlalchemy import func, select

from inreach import create_app
from inreach.accounts.models import User
from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, db, write_connection
from inreach.dates import today
from inreach.demo.seed import DEFAULT_PASSWORD, DEMO_VISIT_TITLE, demo_email, seed
from inreach.directory.models import DirectoryOrganisation, Service, ServicePathway
from inreach.directory.vocabulary import PATHWAYS
from inreach.followup.models import JobStart
from inreach.prisons.models import Prison
from inreach.referrals.consent import wording_id_for
from inreach.referrals.models import Referral, ReferralSet
from inreach.roster.models import RosterEntry
from inreach.visits.models import Visit, VisitSession
from inreach.volunteers.models import Organisation, Volunteer

from .common import (
    AppBrowser,
    Browser,
    app_config,
    database_kind,
    database_url,
    log_in,
    measure,
    percentile_ms,
    prison_number,
    start_server,
)
from .referral_saves import (
    add_men,
    add_tablet_users,
    answers,
    form_references,
    open_form,
    send,
    tablet_email,
)


@dataclass(frozen=True)
class Scale:
    """How much to build."""

    visits: int
    men_per_visit: int = 100
    seen_per_visit: int = 60
    referrals_per_man: int = 5
    job_starts: int = 20_000


SCALES = {"full": Scale(visits=500), "small": Scale(visits=50, job_starts=2_000)}
PRISONS = 10
SERVICES = 40  # every second one IPS
VOLUNTEERS_PER_VISIT = 5
STATES = ("made", "sent", "sent", "accepted", "declined", "no_contact", "first_contact",
          "closed", "not_shared")
TARGETS_MS = {"all-time report": 1000, "one visit's report": 200, "all-time report PDF": 3000}
SAVE_TARGET_MS = 100
TABLET_SECONDS = 10.0


# --- building ---------------------------------------------------------------------------------

def insert(model, rows: list[dict]) -> None:
    """Plain Core INSERT of many rows in the current write transaction."""
    for start in range(0, len(rows), 10_000):
        write_connection().execute(model.__table__.insert(), rows[start:start + 10_000])


def ids(query) -> list:
    """The rows of a query, as a list (ids read back after an insert)."""
    return list(db.session.execute(query))


def build_directory() -> tuple[list[int], set[int]]:
    """Referable services of four organisations on one or two pathways; their ids and the IPS
    ones'."""
    begin_write()
    organisations = [DirectoryOrganisation(name=f"Report Trust {n}") for n in range(4)]
    codes = list(PATHWAYS)
    services = [Service(organisation=organisations[n % 4], name=f"Report service {n:02d}",
                        referable=True, ips=n % 2 == 0, referral_route="email",
                        next_steps="They will phone you",
                        referral_email=f"r{n}@example.org",
                        pathways=[ServicePathway(pathway=codes[n % len(codes)])])
                for n in range(SERVICES)]
    db.session.add_all(services)
    db.session.commit()
    return [service.id for service in services], {s.id for s in services if s.ips}


def build_visits(scale: Scale) -> list[tuple[int, int, date]]:
    """Completed visits spread over five years at ten prisons, one session each; (visit id,
    session id, date) for each."""
    begin_write()
    insert(Prison, [{"code": f"R{n:02d}", "name": f"HMP Report {n:02d}"} for n in range(PRISONS)])
    prisons = [row.id for row in ids(select(Prison.id).where(Prison.code.like("R%"))
                                     .order_by(Prison.id))]
    first = today() - timedelta(days=5 * 365)
    days = [first + timedelta(days=n * 5 * 365 // scale.visits) for n in range(scale.visits)]
    insert(Visit, [{"prison_id": prisons[n % PRISONS], "date": day, "title": "Report benchmark",
                    "gate_list_deadline": day, "status": "completed"}
                   for n, day in enumerate(days)])
    visits = ids(select(Visit.id, Visit.date).where(Visit.title == "Report benchmark")
                 .order_by(Visit.id))
    insert(VisitSession, [{"visit_id": visit.id, "label": "Cohort 1", "starts_at": time(9, 30),
                           "ends_at": time(12), "room": "Chapel", "capacity": 200}
                          for visit in visits])
    sessions = dict(ids(select(VisitSession.visit_id, VisitSession.id)
                        .where(VisitSession.visit_id.in_([visit.id for visit in visits]))))
    db.session.commit()
    return [(visit.id, sessions[visit.id], visit.date) for visit in visits]


def build_men(scale: Scale, visits: list[tuple[int, int, date]]) -> dict[int, list[int]]:
    """Each visit's men: 70 in 100 attended, the others absent for a reason; the member ids of
    those seen, by visit."""
    begin_write()
    total = scale.visits * scale.men_per_visit
    insert(Person, [{"prison_number": prison_number(10_000_000 + n), "first_name": f"Man{n}",
                     "last_name": "Reportman"} for n in range(total)])
    people = [row.id for row in ids(select(Person.id).where(Person.last_name == "Reportman")
                                    .order_by(Person.id))]
    references = iter(form_references(total))
    reasons = ("released_early", "transferred", "refused", "unwell", "in_court", "other")
    rows = []
    for index, (visit_id, session_id, _) in enumerate(visits):
        for place in range(scale.men_per_visit):
            attended = place < scale.men_per_visit * 7 // 10
            rows.append({"visit_id": visit_id, "session_id": session_id,
                         "person_id": people[index * scale.men_per_visit + place],
                         "form_reference": next(references),
                         "attendance": "attended" if attended else "absent",
                         "dna_reason": None if attended else reasons[place % len(reasons)]})
    insert(CohortMember, rows)
    members: dict[int, list[int]] = {}
    for row in ids(select(CohortMember.visit_id, CohortMember.id)
                   .where(CohortMember.attendance == "attended").order_by(CohortMember.id)):
        members.setdefault(row.visit_id, []).append(row.id)
    db.session.commit()
    return {visit: seen[:scale.seen_per_visit] for visit, seen in members.items()}


def build_referrals(scale: Scale, visits: list[tuple[int, int, date]],
                    seen: dict[int, list[int]], services: list[int], organiser_id: int) -> None:
    """A referral set for each man seen, with five referrals through every status."""
    begin_write()
    wording = wording_id_for(1)
    insert(ReferralSet, [{"member_id": member, "session_id": session_id,
                          "recorded_by": organiser_id, "consent_wording_id": wording}
                         for visit_id, session_id, _ in visits for member in seen[visit_id]])
    member_sets = dict(ids(select(ReferralSet.member_id, ReferralSet.id)))
    rows, number = [], 0
    for visit_id, _, day in visits:
        for member in seen[visit_id]:
            for pick in range(scale.referrals_per_man):
                rows.append(referral_row(member_sets[member], services[(number + pick * 7)
                                                                       % SERVICES],
                                         STATES[(number + pick) % len(STATES)], day))
            number += 1
    insert(Referral, rows)
    db.session.commit()


def referral_row(set_id: int, service_id: int, status: str, day: date) -> dict:
    """A referral standing at ``status``: sent the day after the visit, answered four days
    later, first contact a week after that, where its status says so."""
    row = {"set_id": set_id, "service_id": service_id, "status": status,
           "consent": status != "not_shared", "sent_on": None, "sent_how": "", "answered_on": None,
           "first_contact_on": None}
    if status not in ("made", "not_shared"):
        row.update(sent_on=day + timedelta(days=1), sent_how="email")
    if status not in ("made", "not_shared", "sent"):
        row["answered_on"] = day + timedelta(days=5)
    if status in ("first_contact", "closed"):
        row["first_contact_on"] = day + timedelta(days=12)
    return row


def build_job_starts(scale: Scale, ips: set[int], organiser_id: int) -> int:
    """Job starts on IPS referrals that were accepted or further, most in work at 13 weeks."""
    begin_write()
    reached = ids(select(Referral.id, Referral.answered_on)
                  .where(Referral.service_id.in_(ips),
                         Referral.status.in_(("accepted", "first_contact", "closed")))
                  .order_by(Referral.id).limit(scale.job_starts))
    insert(JobStart, [{"referral_id": row.id, "started_on": row.answered_on + timedelta(days=30),
                       "hours_per_week": 4 + n % 30, "in_work_13_weeks": n % 3 != 0,
                       "recorded_by": organiser_id} for n, row in enumerate(reached)])
    db.session.commit()
    return len(reached)


def build_hours(visits: list[tuple[int, int, date]]) -> None:
    """Five volunteers signed in at nine and out between one and four at every visit."""
    begin_write()
    organisation = db.session.scalar(select(Organisation.id).order_by(Organisation.id))
    insert(Volunteer, [{"name": f"Report volunteer {n}", "organisation_id": organisation}
                       for n in range(VOLUNTEERS_PER_VISIT)])
    volunteers = [row.id for row in ids(select(Volunteer.id)
                                        .where(Volunteer.name.like("Report volunteer %")))]
    insert(RosterEntry, [
        {"visit_id": visit_id, "volunteer_id": volunteer, "role_on_day": "Peer mentor",
         "confirmed": True, "signed_in_at": datetime.combine(day, time(9), UTC),
         "signed_out_at": datetime.combine(day, time(13 + n % 4), UTC)}
        for visit_id, _, day in visits for n, volunteer in enumerate(volunteers)])
    db.session.commit()


def build_big(url: str, scale: Scale) -> tuple[int, float]:
    """Add the five years to a demo database; the big visit's id and the seconds it took."""
    app = create_app(app_config(url))
    start = perf_counter()
    with app.app_context():
        organiser_id = db.session.scalar(select(User.id).where(
            User.email == demo_email("organiser")))
        services, ips = build_directory()
        visits = build_visits(scale)
        seen = build_men(scale, visits)
        build_referrals(scale, visits, seen, services, organiser_id)
        build_job_starts(scale, ips, organiser_id)
        build_hours(visits)
        big_visit = visits[-1][0]
        db.session.remove()
        db.engine.dispose()
    return big_visit, perf_counter() - start


def build_demo(url: str) -> tuple[int, list[str]]:
    """Tables, the demo, a tablet volunteer rostered on the demo visit with men to record;
    the demo's past visit id and the men's form paths."""
    app = create_app(app_config(url))
    with app.app_context():
        db.create_all()
        seed(DEFAULT_PASSWORD)
        visit = db.session.scalar(select(Visit).where(Visit.title == DEMO_VISIT_TITLE))
        add_tablet_users(visit.id, 1)
        paths = add_men(visit.id, 2000)
        past = db.session.scalar(select(Visit.id).where(Visit.title.contains("past")))
        db.session.remove()
        db.engine.dispose()
    return past, paths


def counts(url: str) -> str:
    """What the database holds, for the printout."""
    app = create_app(app_config(url))
    with app.app_context():
        found = {name: db.session.scalar(select(func.count()).select_from(model))
                 for name, model in (("visits", Visit), ("men", Person),
                                     ("referrals", Referral), ("job starts", JobStart))}
        db.engine.dispose()
    return ", ".join(f"{count:,} {name}" for name, count in found.items())


# --- measuring --------------------------------------------------------------------------------

def measure_pages(url: str, pages: dict[str, str], requests: int) -> dict[str, dict]:
    """Each page through the test client as the demo organiser, and the bare endpoint."""
    app = create_app(app_config(url))
    browser = AppBrowser(app)
    log_in(browser, demo_email("organiser"))
    found = {label: measure(app, browser, path, requests)
             for label, path in {"bare /healthz": "/healthz", **pages}.items()}
    with app.app_context():
        db.engine.dispose()
    return found


def line(label: str, figure: dict, bare: dict) -> str:
    """One row of figures, with its target where it has one."""
    target = TARGETS_MS.get(label)
    verdict = "" if target is None else (
        f"  target < {target} ms: {'met' if figure['ms'] < target else 'NOT met'}")
    flag = "" if figure["status"] == 200 else f"  (HTTP {figure['status']})"
    return (f"  {label:<26} {figure['statements']:>3} statements {figure['kb']:>7.0f} KB "
            f"{figure['ms']:>8.1f} ms ({figure['ms'] / bare['ms']:.0f}x bare){verdict}{flag}")


def save_while(port: int, paths: list[str], seconds: float, busy: bool) -> list[float]:
    """A tablet's saves back to back for ``seconds``, alone or while another client renders the
    all-time report again and again; the saves' latencies."""
    tablet, reader = Browser(port), Browser(port)
    log_in(tablet, tablet_email(0))
    log_in(reader, demo_email("organiser"))
    stop, started = threading.Event(), threading.Event()

    def read_reports():
        while not stop.is_set():
            started.set()
            reader.request("GET", "/reports/")

    thread = threading.Thread(target=read_reports) if busy else None
    if thread:
        thread.start()
        started.wait()
    rng = random.Random(1)  # noqa: S311  (made-up answers, the same every run)
    latencies, deadline = [], perf_counter() + seconds
    while perf_counter() < deadline and paths:
        form = open_form(tablet, paths[-1])
        start = perf_counter()
        answer, problem = send(tablet, paths.pop(), answers(form, rng))
        latencies.append(perf_counter() - start)
        if answer is None:
            raise SystemExit(f"a save failed: {problem}")
    stop.set()
    if thread:
        thread.join()
    return latencies


def measure_saves(url: str, paths: list[str], seconds: float) -> None:
    """Saves alone and beside a report rendering, under waitress; print p50/p95."""
    server, port = start_server(url)
    try:
        alone = save_while(port, paths, seconds, busy=False)
        beside = save_while(port, paths, seconds, busy=True)
    finally:
        server.terminate()
    for label, latencies in (("alone", alone), ("beside the report", beside)):
        print(f"  tablet save {label:<18} {len(latencies):>4} saves  "
              f"p50 {percentile_ms(latencies, 50):6.1f} ms  "
              f"p95 {percentile_ms(latencies, 95):6.1f} ms")
    met = percentile_ms(beside, 95) < SAVE_TARGET_MS
    print(f"  target p95 beside the report < {SAVE_TARGET_MS} ms: {'met' if met else 'NOT met'}")


def report_pages(visit_id: int) -> dict[str, str]:
    """The pages measured at each size."""
    return {"all-time report": "/reports/", "one visit's report": f"/reports/visits/{visit_id}",
            "all-time report PDF": "/reports/report.pdf"}


def run(url: str, scale: Scale, requests: int, seconds: float) -> None:
    """Measure on the demo data, build the five years, measure again; print the figures."""
    past, paths = build_demo(url)
    print(f"database: {database_kind(url)}; {requests} timed requests per page (median)")
    small = measure_pages(url, report_pages(past), requests)
    print(f"small: the demo data ({counts(url)})")
    for label, figure in small.items():
        print(line(label, figure, small["bare /healthz"]))
    big_visit, took = build_big(url, scale)
    print(f"big: {counts(url)} (built in {took:.0f} s)")
    big = measure_pages(url, report_pages(big_visit), requests)
    for label, figure in big.items():
        print(line(label, figure, big["bare /healthz"]))
    flat = all(small[label]["statements"] == big[label]["statements"] for label in small)
    print(f"  statements the same at both sizes: {'yes' if flat else 'NO'}")
    measure_saves(url, paths, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database (emptied)")
    parser.add_argument("--scale", choices=SCALES, default="full")
    parser.add_argument("--requests", type=int, default=5, help="timed requests per page")
    parser.add_argument("--seconds", type=float, default=TABLET_SECONDS,
                        help="seconds of tablet saves, alone and beside the report")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(database_url(arguments.database_url, folder), SCALES[arguments.scale],
            arguments.requests, arguments.seconds)


if __name__ == "__main__":
    main()
