"""The key pages at demo size and at big size: each page's median time over a few requests, its
SQL statement count and its size, side by side, with the targets of issue 12 beside them.

Two databases are measured in one run:

- **demo size**: the seeded demo (one visit, two sessions of up to 20 men, the demo directory)
  and one saved referral set;
- **big size** (``--scale full``): the demo plus 50 visits, 5,000 men in cohorts (one visit of
  2,000 men in ten sessions of 200, one of 200 men in one session, the rest spread over the
  other 48), a referral set for every man (5,000), 5,000 directory services (1 in 100 taking
  self-referrals) and 1,000,000 audit rows; 25 more volunteers on the two large visits' roster;
  most other visits completed, so home has something to filter.

The big database is built through the app's own paths wherever one exists: visits, sessions,
volunteers and the roster through their services; the men through the cohort CSV import
(``cohorts.importing.confirm``) and the automatic allocation; the directory through the Open
Referral UK import (``directory.importing.import_file``); the referral sets through
``referrals.services.save``. The audit history has no such path (rows are only ever added one
at a time by other actions), so its rows are inserted in bulk with an executemany ``INSERT``,
dated over the last three years, before the rest is built.

Pages are requested through Flask's test client (no server), logged in through the login form
as the demo organiser, the demo volunteer (rostered on the visits measured) or, for the audit
trail, the demo auditor. Each page is requested once to count its statements
(``inreach.database.counting_statements``; any status but 200 is printed beside the figures),
then timed ``--requests`` times; the median is printed. The ORUK export is streamed and thrown
away as it arrives, and the peak of Python's own allocations during one download is measured
with tracemalloc. A late directory page and a deep audit page are found from the "next" or
"older" link on page 1: a ``page`` number is set 90% of the way down the list; an id in a keyset
parameter is replaced by the id that far down.

Times are wall-clock on a shared, noisy machine: compare pages against each other and demo
against big, not against another day's run.

Run from the repository::

    .venv/bin/python -m benchmarks.big_database               # full size, SQLite
    .venv/bin/python -m benchmarks.big_database --scale small # a quick check (200-man visit)
    .venv/bin/python -m benchmarks.big_database --database-url postgresql+psycopg://…

On SQLite the big database is kept under /tmp/inreach-benchmarks (one file per scale, schema
and day) and reused by the next run (measuring adds a few audit rows and login sessions to it);
``--rebuild`` builds it again. A PostgreSQL URL is a throwaway database: **its public schema is
dropped and recreated**; the demo is measured in it, then it is grown to big size every run.
"""

import argparse
import csv
import hashlib
import importlib
import io
import json
import math
import os
import random
import re
import shutil
import statistics
import tempfile
import tracemalloc
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from pathlib import Path
from time import perf_counter
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from inreach import create_app
from inreach.accounts.models import User
from inreach.audit import chain
from inreach.audit.models import AuditEvent
from inreach.cohorts import importing as cohort_import
from inreach.cohorts.models import CohortMember
from inreach.cohorts.placement import run_allocation
from inreach.database import begin_write, counting_statements, db
from inreach.dates import today
from inreach.demo import prison_list
from inreach.demo.seed import DEFAULT_PASSWORD, DEMO_VISIT_TITLE, demo_email, seed
from inreach.directory import importing as directory_import
from inreach.directory.models import Service
from inreach.directory.services import referable_services
from inreach.prisons.models import Prison
from inreach.referrals import services as referrals
from inreach.referrals.consent import current_wording
from inreach.referrals.models import HOUSING, ReferralSet
from inreach.roster.services import add_to_roster
from inreach.visits.models import Visit
from inreach.visits.services import (
    SessionDetails,
    VisitDetails,
    add_session,
    change_status,
    create_visit,
)
from inreach.volunteers.models import Organisation, Volunteer
from inreach.volunteers.services import VolunteerDetails, create_volunteer

from .common import AppBrowser, app_config, database_kind, database_url, log_in, oruk_service
from .common import prison_number as numbered_prison_number

BUILD_VERSION = 1  # bump when the build below changes, so cached databases are rebuilt
CACHE = Path(tempfile.gettempdir()) / "inreach-benchmarks"
SESSION_SIZE = 200  # the largest session the app allows
LARGE_TITLE = "Benchmark: the largest cohort"
SMALL_TITLE = "Benchmark: a one-session cohort"
EXTRA_VOLUNTEERS = 25
UPCOMING = 10  # visits left upcoming; the others (but the two measured) are completed
REFERABLE_EVERY = 100  # one imported service in this many takes self-referrals
AUDIT_CHUNK = 50_000
AUDIT_YEARS = 3
DEEP = 0.9  # how far down a long list the late/deep page is

CAPTURE_LIST_MS = 50
DIRECTORY_PAGE_MS = 100
PER_MAN_RATIO = 1.3


@dataclass(frozen=True)
class Scale:
    """How big the big database is, and how often each page is timed."""

    visits: int
    large_cohort: int  # men on the largest visit, in sessions of SESSION_SIZE
    small_cohort: int  # men on the second visit, in one session
    men: int  # men in all (the rest are spread over the other visits)
    services: int
    audit_rows: int
    requests: int  # timed requests per page (after one counted request)


SCALES = {
    "full": Scale(visits=50, large_cohort=2000, small_cohort=200, men=5000, services=5000,
                  audit_rows=1_000_000, requests=5),
    "small": Scale(visits=5, large_cohort=200, small_cohort=20, men=300, services=500,
                   audit_rows=20_000, requests=3),
}


# --- building: the demo ----------------------------------------------------------------------

def user_id(role: str) -> int:
    """The id of the demo login for a role."""
    return db.session.scalar(select(User.id).where(User.email == demo_email(role)))


def build_demo(url: str) -> None:
    """Tables, the seeded demo and one saved referral set (for the saved set's form)."""
    app = create_app(app_config(url))
    with app.app_context():
        db.create_all()
        seed(DEFAULT_PASSWORD)
        visit = db.session.scalar(select(Visit).where(Visit.title == DEMO_VISIT_TITLE))
        member = first_placed(visit.id)
        chosen = [service.id for service in referable_services()[:2]]
        rng = random.Random(0)  # noqa: S311  (made-up answers, the same every build)
        save_set(visit.id, member.session_id, member.public_id, chosen, rng)
        db.session.remove()
        db.engine.dispose()


def save_set(visit_id: int, session_id: int, public_id: str, chosen: list[int],
             rng: random.Random, set_id: str = "") -> ReferralSet:
    """Save one man's referral set through the app's service, as the organiser."""
    organiser = db.session.get(User, user_id("organiser"))
    capture = referrals.Capture(
        client_id=str(uuid.uuid4()), member=public_id, chosen=chosen,
        consent={service: rng.random() < 0.8 for service in chosen},
        consent_version=current_wording().version, housing=rng.choice(list(HOUSING)),
        phone="07700 900123" if rng.random() < 0.5 else "", set_id=set_id)
    if capture.phone:
        capture.safe_message, capture.contact_by = True, "phone"
    referral_set, _ = referrals.save(visit_id, session_id, capture, organiser)
    return referral_set


# --- building: the big database --------------------------------------------------------------

def grow(url: str, scale: Scale) -> dict[str, float]:
    """Add the big data to a demo database; seconds spent on each part."""
    app = create_app(app_config(url))
    took: dict[str, float] = {}
    with app.app_context():
        organiser_id = user_id("organiser")
        for part, work in (
                ("audit history", lambda: add_audit_history(scale.audit_rows)),
                ("directory import", lambda: import_directory(scale.services, organiser_id)),
                ("visits", lambda: plan_visits(scale, organiser_id)),
                ("cohort imports", lambda: import_cohorts(scale, organiser_id)),
                ("allocation", lambda: allocate(organiser_id)),
                ("roster", lambda: add_roster(organiser_id)),
                ("referral saves", save_every_set),
                ("visit statuses", lambda: complete_visits(organiser_id))):
            start = perf_counter()
            work()
            took[part] = perf_counter() - start
        db.session.remove()
        db.engine.dispose()
    return took


AUDIT_ACTIONS = [("login", "user"), ("cohort.viewed", "visit"),
                 ("referral.created", "referral"), ("referral_set.created", "referral_set"),
                 ("referral_set.viewed", "referral_set"), ("pack.printed", "cohort_member"),
                 ("attendance.marked", "cohort_member"), ("directory.service_updated", None)]


def add_audit_history(count: int) -> None:
    """Three years of earlier audit rows, inserted in bulk (no app path adds history)."""
    actors = list(db.session.scalars(select(User.id)))
    start = datetime.now(UTC) - timedelta(days=365 * AUDIT_YEARS)
    step = timedelta(days=365 * AUDIT_YEARS) / max(count, 1)
    for first in range(0, count, AUDIT_CHUNK):
        rows = []
        for n in range(first, min(first + AUDIT_CHUNK, count)):
            action, object_type = AUDIT_ACTIONS[n % len(AUDIT_ACTIONS)]
            rows.append({"at": start + step * n, "actor_id": actors[n % len(actors)],
                         "action": action, "object_type": object_type,
                         "object_id": str(n // 7) if object_type else None, "detail": None})
        begin_write()
        connection = db.session.connection()  # earlier history goes in after the demo's rows
        connection.execute(insert(AuditEvent),
                           chain.chain_history(connection, rows, older_allowed=True))
        db.session.commit()


def import_directory(count: int, actor_id: int) -> None:
    """An Open Referral UK file of ``count`` services, loaded by the directory import."""
    entries = []
    for n in range(count):
        entry = oruk_service(n)
        if n % REFERABLE_EVERY == 0:
            entry["inreach_referral"] = {"accepts_self_referrals": True,
                                        "what_happens_next": "They call him within a week."}
        entries.append(entry)
    directory_import.import_file(json_bytes(entries), "directory.json", False, actor_id)


def json_bytes(value) -> bytes:
    """Compact JSON."""
    return json.dumps(value, separators=(",", ":")).encode()


def cohort_sizes(scale: Scale) -> list[int]:
    """Men on each visit: the largest, the one-session visit, then the rest spread evenly."""
    others = scale.visits - 2
    rest = scale.men - scale.large_cohort - scale.small_cohort
    return [scale.large_cohort, scale.small_cohort] + [
        rest // others + (1 if index < rest % others else 0) for index in range(others)]


def visit_title(index: int) -> str:
    """The two measured visits by name, the others numbered."""
    return {0: LARGE_TITLE, 1: SMALL_TITLE}.get(index, f"Benchmark visit {index:02d}")


def plan_visits(scale: Scale, actor_id: int) -> None:
    """The visits, a week apart from a fortnight on, with sessions of SESSION_SIZE men."""
    prisons = list(db.session.scalars(select(Prison).order_by(Prison.code)))
    home_prison = next(prison for prison in prisons if prison.code == "WSI")
    day = today()
    for index, men in enumerate(cohort_sizes(scale)):
        prison = home_prison if index < 2 else prisons[index % len(prisons)]
        visit = create_visit(VisitDetails(
            prison_id=prison.id, date=day + timedelta(days=14 + 7 * index),
            title=visit_title(index), purpose="Benchmark visit.", arrival_time=time(9)),
            actor_id=actor_id, today=day)
        for number in range(math.ceil(men / SESSION_SIZE)):
            add_session(visit.id, SessionDetails(
                f"Cohort {number + 1:02d}", time(9, 30), time(12), f"Room {number + 1:02d}",
                SESSION_SIZE), actor_id=actor_id)


def benchmark_visits() -> list[Visit]:
    """The visits the build added, soonest first."""
    return list(db.session.scalars(select(Visit).where(Visit.title.like("Benchmark%"))
                                   .order_by(Visit.date)))


def prison_list_file(first: int, men: int, visit_day: date, keep_apart: bool) -> bytes:
    """A prison's list (CSV) of ``men`` eligible men numbered from ``first``; with keep_apart,
    every 50th man must be kept apart from the next."""
    rows = [list(cohort_import.COLUMNS)]
    for n in range(first, first + men):
        values = dict.fromkeys(cohort_import.COLUMNS, "") | {
            "prison_number": numbered_prison_number(n),
            "first_name": prison_list.FIRST[n % 20], "last_name": prison_list.LAST[n // 20 % 20],
            "release_date": (visit_day + timedelta(days=5 + n % 81)).isoformat(),
            "release_type": "CRD", "release_confirmed": "yes", "date_of_birth": "1990-01-31",
            "location": prison_list.WINGS[n % 4], "release_area": prison_list.AREAS[n % 4],
            "interests": ";".join(prison_list.INTERESTS[n % 7:n % 7 + 2]),
            "easy_read": "yes" if n % 5 == 0 else "no"}
        if keep_apart and n % 50 == 0 and n + 1 < first + men:
            values["keep_apart_from"] = numbered_prison_number(n + 1)
        rows.append([values[column] for column in cohort_import.COLUMNS])
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def import_cohorts(scale: Scale, actor_id: int) -> None:
    """Each visit's men through the cohort CSV import; keep-apart pairs only where there is
    more than one session to keep them apart in (so every man can be placed)."""
    first = 0
    for visit, men in zip(benchmark_visits(), cohort_sizes(scale), strict=True):
        content = prison_list_file(first, men, visit.date, len(visit.sessions) > 1)
        cohort_import.confirm(visit.id, content, actor_id, today())
        first += men


def allocate(actor_id: int) -> None:
    """Place each visit's men in its sessions with the automatic split."""
    for visit_id in [visit.id for visit in benchmark_visits()]:
        run_allocation(visit_id, False, actor_id)


def add_roster(actor_id: int) -> None:
    """The demo volunteers and EXTRA_VOLUNTEERS more on the two measured visits."""
    organisation = db.session.scalar(select(Organisation).order_by(Organisation.id).limit(1))
    for number in range(EXTRA_VOLUNTEERS):
        create_volunteer(VolunteerDetails(name=f"Volunteer {number:02d} (benchmark)",
                                          organisation_id=organisation.id), actor_id)
    volunteers = [volunteer.id for volunteer in db.session.scalars(
        select(Volunteer).where(Volunteer.archived.is_(False)).order_by(Volunteer.id))]
    for visit in benchmark_visits()[:2]:
        sessions = [session.id for session in visit.sessions]
        for number, volunteer_id in enumerate(volunteers):
            add_to_roster(visit.id, volunteer_id, "Peer mentor", number % 4 == 0,
                          sessions[number % len(sessions)::3] or sessions, actor_id)


def save_every_set() -> None:
    """A referral set for every man placed in a session, through the referral service; the
    first man placed on the largest visit then changes his (so it has history)."""
    chosen_from = [service.id for service in referable_services()]
    members = db.session.execute(
        select(CohortMember.visit_id, CohortMember.session_id, CohortMember.public_id)
        .join(Visit).where(Visit.title.like("Benchmark%"), CohortMember.session_id.is_not(None))
        .order_by(CohortMember.id)).all()
    rng = random.Random(1)  # noqa: S311  (made-up answers, the same every build)
    for visit_id, session_id, public_id in members:
        save_set(visit_id, session_id, public_id, rng.sample(chosen_from, rng.randint(1, 2)),
                 rng)
    member = first_placed(benchmark_visits()[0].id)
    changed = db.session.scalar(select(ReferralSet).where(ReferralSet.member_id == member.id))
    save_set(member.visit_id, member.session_id, member.public_id, chosen_from[:3], rng,
             changed.public_id)


def first_placed(visit_id: int) -> CohortMember:
    """The first man (by id) placed in a session of the visit: the one whose saved set's form
    is measured."""
    return db.session.scalar(select(CohortMember).where(
        CohortMember.visit_id == visit_id, CohortMember.session_id.is_not(None))
        .order_by(CohortMember.id).limit(1))


def complete_visits(actor_id: int) -> None:
    """Confirm every visit; complete all but the UPCOMING soonest (the measured ones stay)."""
    for index, visit in enumerate(benchmark_visits()):
        change_status(visit.id, "confirmed", actor_id)
        if index >= UPCOMING:
            change_status(visit.id, "completed", actor_id)


# --- the cached SQLite file ------------------------------------------------------------------

def schema_fingerprint() -> str:
    """A hash of the tables and indexes as the models define them now."""
    dialect = sqlite.dialect()
    parts = []
    for table in db.metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)))
        parts += sorted(str(CreateIndex(index).compile(dialect=dialect))
                        for index in table.indexes)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def cached_big_sqlite(scale_name: str, rebuild: bool) -> tuple[str, dict[str, float] | None]:
    """The big SQLite database for this scale, schema and day, built unless already kept;
    the URL and, when it was built now, the seconds per part."""
    key = hashlib.sha256(repr((BUILD_VERSION, SCALES[scale_name], schema_fingerprint(),
                               date.today())).encode()).hexdigest()[:12]
    path = CACHE / f"big-{scale_name}-{key}.sqlite"
    if path.exists() and not rebuild:
        return f"sqlite:///{path}", None
    CACHE.mkdir(exist_ok=True)
    for stale in CACHE.glob(f"big-{scale_name}-*.sqlite*"):
        stale.unlink()
    with tempfile.TemporaryDirectory(dir=CACHE) as folder:
        building = Path(folder) / "building.sqlite"
        url = f"sqlite:///{building}"
        took = build_big(url, SCALES[scale_name])
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        shutil.move(building, path)
    return f"sqlite:///{path}", took


def build_big(url: str, scale: Scale) -> dict[str, float]:
    """The demo, then the big data on top; seconds per part."""
    start = perf_counter()
    build_demo(url)
    return {"demo": perf_counter() - start} | grow(url, scale)


# --- measuring -------------------------------------------------------------------------------

@dataclass
class Page:
    """A page to measure: a key to line demo and big up, who asks, where, and for how many men."""

    key: str
    label: str
    role: str
    path: str
    men: int | None = None


@dataclass
class Figure:
    """What one page cost."""

    status: int
    statements: int
    kilobytes: float
    median_ms: float
    men: int | None = None
    note: str = ""


LINK = re.compile(r'<a\b[^>]*\bhref="([^"]+)"[^>]*>(.*?)</a>', re.S)
FOLLOWING = ("older", "next")


def following_link(html: str, path: str) -> dict[str, str] | None:
    """The query of the page 1 link to the following page (its text says older or next)."""
    for href, label in LINK.findall(html):
        parts = urlsplit(unescape(href))
        words = re.sub(r"<[^>]+>", "", label).lower()
        if parts.path == path and parts.query and any(word in words for word in FOLLOWING):
            return dict(parse_qsl(parts.query))
    return None


def page_size(module_names: tuple[str, ...]) -> int | None:
    """A list's page size, from the first of these modules that names one (PAGE_SIZE)."""
    for name in module_names:
        size = getattr(importlib.import_module(name), "PAGE_SIZE", None)
        if isinstance(size, int):
            return size
    return None


def late_query(query: dict[str, str], total: int, size: int | None,
               id_that_deep) -> tuple[dict[str, str] | None, str]:
    """The following link's query moved near the end of the list, and how it was found."""
    if "page" in query:
        if size is None:
            return query | {"page": "1000000"}, "page past the end"
        page = max(1, math.ceil(total * DEEP / size))
        return query | {"page": str(page)}, f"page {page:,} of {math.ceil(total / size):,}"
    keys = [name for name, value in query.items() if value.isdigit()]
    if len(keys) == 1:
        target = id_that_deep()
        return query | {keys[0]: str(target)}, f"{keys[0]}={target}"
    return None, f"pager not understood ({', '.join(query)}): not measured"


class Measurer:
    """Logged-in test clients on one database, and the pages measured there."""

    def __init__(self, url: str, requests: int):
        self.app = create_app(app_config(url))
        self.requests = requests
        self.browsers = {}
        for role in ("organiser", "volunteer", "auditor"):
            self.browsers[role] = AppBrowser(self.app)
            log_in(self.browsers[role], demo_email(role))

    def fetch(self, role: str, path: str) -> tuple[int, bytes]:
        """One request, its body read as it streams."""
        response = self.browsers[role].client.get(path, buffered=False)
        try:
            body = b"".join(response.response)
        finally:
            response.close()
        return response.status_code, body

    def measure(self, page: Page) -> tuple[Figure, bytes]:
        """Count the page's statements once, then time it; the figure and its body."""
        with self.app.app_context(), counting_statements() as statements:
            status, body = self.fetch(page.role, page.path)
        timings = []
        for _ in range(self.requests):
            start = perf_counter()
            self.fetch(page.role, page.path)
            timings.append(perf_counter() - start)
        return Figure(status, len(statements), len(body) / 1024,
                      statistics.median(timings) * 1000, page.men), body

    def export_peak_mb(self, path: str) -> float:
        """Peak Python memory (tracemalloc) while one export streams past."""
        tracemalloc.start()
        try:
            self.fetch("organiser", path)
            return tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()

    def sizes(self) -> dict[str, int]:
        """Rows of what the benchmark is about."""
        with self.app.app_context():
            return {name: db.session.scalar(select(func.count()).select_from(model))
                    for name, model in (("visits", Visit), ("men", CohortMember),
                                        ("referral sets", ReferralSet),
                                        ("directory services", Service),
                                        ("audit rows", AuditEvent))} | {
                "men in no session": db.session.scalar(select(func.count()).select_from(
                    CohortMember).where(CohortMember.session_id.is_(None)))}


def places(app) -> dict:
    """Ids of what the pages show: the visits measured (largest last), the largest visit's
    first man placed, his session and how many men it has."""
    with app.app_context():
        visits = benchmark_visits()[:2][::-1] or list(db.session.scalars(
            select(Visit).where(Visit.title == DEMO_VISIT_TITLE)))
        cohorts = [(visit.id, men_on(visit.id)) for visit in visits]
        man = first_placed(visits[-1].id)
        men = db.session.scalar(select(func.count()).select_from(CohortMember).where(
            CohortMember.session_id == man.session_id))
        return {"visit": man.visit_id, "cohorts": cohorts, "session": man.session_id,
                "session_men": men, "saved": man.public_id}


def men_on(visit_id: int) -> int:
    """Men on a visit's cohort."""
    return db.session.scalar(select(func.count()).select_from(CohortMember).where(
        CohortMember.visit_id == visit_id))


def deep_audit_id() -> int:
    """The id of the audit row DEEP of the way down the trail (newest first)."""
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())
                             .offset(int(total * DEEP)).limit(1))


def late_service_id() -> int:
    """The id of the service DEEP of the way down the directory (by name)."""
    total = db.session.scalar(select(func.count()).select_from(Service))
    return db.session.scalar(select(Service.id).order_by(Service.name, Service.id)
                             .offset(int(total * DEEP)).limit(1))


def measure_late(measurer: Measurer, page: Page, first_page: bytes, total: int,
                 size: int | None, id_that_deep) -> Figure:
    """A page near the end of a list, reached as page 1's link to the following page is."""
    following = following_link(first_page.decode(), page.path)
    if following is None:
        return Figure(0, 0, 0, math.nan, note="no link to a following page")
    with measurer.app.app_context():
        query, how = late_query(following, total, size, id_that_deep)
    if query is None:
        return Figure(0, 0, 0, math.nan, note=how)
    page.path = f"{page.path}?{urlencode(query)}"
    figure, _ = measurer.measure(page)
    figure.note = how
    return figure


def measure_all(url: str, requests: int) -> tuple[dict[str, Figure], dict[str, int], float]:
    """Every key page on this database; the figures by key, the sizes and the export's peak."""
    measurer = Measurer(url, requests)
    where = places(measurer.app)
    visit, session = where["visit"], where["session"]
    pages = [
        Page("home", "home", "organiser", "/"),
        Page("home-volunteer", "home", "volunteer", "/"),
        Page("visits", "visits list", "organiser", "/visits/"),
        Page("visit", "visit page (largest visit)", "organiser", f"/visits/{visit}"),
        *[Page(f"cohort-{index}", "cohort page", "organiser", f"/visits/{visit_id}/cohort/",
               men) for index, (visit_id, men) in enumerate(where["cohorts"])],
        Page("capture-list", "capture list (one session)", "volunteer",
             f"/visits/{visit}/sessions/{session}/referrals/", where["session_men"]),
        Page("printing", "printing page (one session)", "organiser",
             f"/visits/{visit}/sessions/{session}/printing/", where["session_men"]),
        Page("attendance", "attendance sheet (one session)", "volunteer",
             f"/visits/{visit}/attendance/sessions/{session}", where["session_men"]),
        Page("saved-form", "saved set's capture form", "volunteer",
             f"/visits/{visit}/sessions/{session}/referrals/{where['saved']}"),
        Page("directory-1", "directory list, page 1", "organiser", "/directory/"),
        Page("audit-1", "audit trail, page 1", "auditor", "/audit/"),
    ]
    figures, bodies = {}, {}
    for page in pages:
        figures[page.key], bodies[page.key] = measurer.measure(page)
    sizes = measurer.sizes()
    figures["directory-late"] = measure_late(
        measurer, Page("directory-late", "directory list, late page", "organiser", "/directory/"),
        bodies["directory-1"], sizes["directory services"],
        page_size(("inreach.directory.views", "inreach.directory.services")), late_service_id)
    figures["audit-deep"] = measure_late(
        measurer, Page("audit-deep", "audit trail, deep page", "auditor", "/audit/"),
        bodies["audit-1"], sizes["audit rows"],
        page_size(("inreach.audit.views", "inreach.audit.services")), deep_audit_id)
    export = Page("export", "ORUK export (JSON)", "organiser", "/directory/export.json")
    figures["export"], _ = measurer.measure(export)
    peak = measurer.export_peak_mb(export.path)
    with measurer.app.app_context():
        db.engine.dispose()
    return figures, sizes, peak


# --- reporting -------------------------------------------------------------------------------

ROWS = [("home", "home", "organiser"), ("home-volunteer", "home", "volunteer"),
        ("visits", "visits list", "organiser"), ("visit", "visit page", "organiser"),
        ("cohort-0", "cohort page", "organiser"), ("cohort-1", "cohort page", "organiser"),
        ("capture-list", "capture list", "volunteer"), ("printing", "printing page", "organiser"),
        ("attendance", "attendance sheet", "volunteer"),
        ("saved-form", "saved set's capture form", "volunteer"),
        ("directory-1", "directory list, page 1", "organiser"),
        ("directory-late", "directory list, late page", "organiser"),
        ("audit-1", "audit trail, page 1", "auditor"),
        ("audit-deep", "audit trail, deep page", "auditor"),
        ("export", "ORUK export (JSON)", "organiser")]


TIME_LIMITS = {"capture-list": CAPTURE_LIST_MS, "directory-1": DIRECTORY_PAGE_MS,
               "directory-late": DIRECTORY_PAGE_MS}
# Pages whose statement count issue 12 wants flat in the number of men (or services offered).
FLAT = ("visit", "capture-list", "printing", "attendance", "saved-form")


def verdict(met: bool) -> str:
    """How a target fared."""
    return "met" if met else "NOT MET"


def targets(key: str, demo: Figure | None, big: dict[str, Figure]) -> str:
    """The page's targets from issue 12 and whether the big size meets them."""
    figure, parts = big[key], []
    if key in TIME_LIMITS:
        limit = TIME_LIMITS[key]
        if math.isnan(figure.median_ms):
            parts.append(f"< {limit} ms: NOT MEASURED")
        elif key == "capture-list" and figure.men != SESSION_SIZE:
            parts.append(f"< {limit} ms at {SESSION_SIZE} men: not measured at this scale")
        else:
            parts.append(f"< {limit} ms: {verdict(figure.median_ms < limit)}")
    if key in FLAT and demo is not None:
        parts.append(f"SQL as at demo size: {verdict(figure.statements == demo.statements)}")
    if key == "cohort-1":
        parts.append(f"per man <= {PER_MAN_RATIO}x the smaller visit's: "
                     f"{verdict(per_man_ratio(big) <= PER_MAN_RATIO)}; SQL the same: "
                     f"{verdict(figure.statements == big['cohort-0'].statements)}")
    return "; ".join(parts)


def per_man_ratio(big: dict[str, Figure]) -> float:
    """The cohort page's time per man on the larger visit over that on the smaller."""
    small, large = big["cohort-0"], big["cohort-1"]
    return (large.median_ms / large.men) / (small.median_ms / small.men)


def cell(figure: Figure | None) -> str:
    """men, ms, statements and KB of one page at one size."""
    if figure is None:
        return f"{'–':>6} {'':>9} {'':>6} {'':>8}"
    if math.isnan(figure.median_ms):
        return f"{'':>6} {'n/a':>9} {'':>6} {'':>8}"
    men = f"{figure.men:,}" if figure.men else ""
    status = "" if figure.status == 200 else f" HTTP {figure.status}"
    return (f"{men:>6} {figure.median_ms:>9.1f} {figure.statements:>6,} "
            f"{figure.kilobytes:>8,.0f}{status}")


def report(demo: dict[str, Figure], big: dict[str, Figure], peak_mb: float) -> None:
    """The table, then the per-man comparison of the cohort page and the notes."""
    print(f"{'':38} {'demo size':^32} {'big size':^32}")
    print(f"{'page':27} {'who':10} " + f"{'men':>6} {'ms':>9} {'SQL':>6} {'KB':>8} " * 2
          + "target (big size)")
    for key, label, role in ROWS:
        print(f"{label:27} {role:10} {cell(demo.get(key))} {cell(big.get(key))} "
              f"{targets(key, demo.get(key), big)}")
    for key, first in (("directory-late", "directory-1"), ("audit-deep", "audit-1")):
        for size, figures in (("demo", demo), ("big", big)):
            late = figures[key]
            ratio = ("" if math.isnan(late.median_ms)
                     else f"; {late.median_ms / figures[first].median_ms:.1f}x page 1's time")
            print(f"  {key} at {size} size: {late.note}{ratio}")
    small, large = big["cohort-0"], big["cohort-1"]
    print(f"cohort page per man: {small.median_ms / small.men:.3f} ms at {small.men:,} men, "
          f"{large.median_ms / large.men:.3f} ms at {large.men:,} men: "
          f"{per_man_ratio(big):.2f}x (target <= {PER_MAN_RATIO}x: "
          f"{verdict(per_man_ratio(big) <= PER_MAN_RATIO)}); statements {small.statements:,} "
          f"and {large.statements:,} (target the same: "
          f"{verdict(small.statements == large.statements)})")
    export = big["export"]
    print(f"ORUK export at big size: {export.median_ms / 1000:.2f} s for "
          f"{export.kilobytes / 1024:.1f} MB; peak Python memory while it streams "
          f"{peak_mb:.1f} MB (tracemalloc, one download)")


# --- the run ---------------------------------------------------------------------------------

def options() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="full",
                        help="full: 50 visits, 5,000 men, 1,000,000 audit rows (default); "
                             "small: a quick check")
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database; its public "
                        "schema is emptied (default: INREACH_DATABASE_URL, else SQLite)")
    parser.add_argument("--rebuild", action="store_true",
                        help="build the cached big SQLite database again")
    parser.add_argument("--requests", type=int, help="timed requests per page")
    return parser.parse_args()


def build_and_measure(given_url: str | None, scale_name: str, rebuild: bool, requests: int):
    """Demo figures, big figures, export peak, sizes at both and build times (None if cached)."""
    with tempfile.TemporaryDirectory() as folder:
        demo_url = database_url(given_url, folder)
        build_demo(demo_url)
        demo, demo_sizes, _ = measure_all(demo_url, requests)
        if database_kind(demo_url) == "sqlite":
            big_url, took = cached_big_sqlite(scale_name, rebuild)
        else:  # the same throwaway database, grown
            took = grow(demo_url, SCALES[scale_name])
            big_url = demo_url
        big, big_sizes, peak = measure_all(big_url, requests)
    return demo, big, peak, demo_sizes, big_sizes, took


def main() -> None:
    """Build (or reuse) the databases, measure both, print the table."""
    args = options()
    scale = SCALES[args.scale]
    requests = args.requests or scale.requests
    started = perf_counter()
    demo, big, peak, demo_sizes, big_sizes, took = build_and_measure(
        args.database_url, args.scale, args.rebuild, requests)
    kind = database_kind(args.database_url or os.environ.get("INREACH_DATABASE_URL")
                         or "sqlite")
    print(f"key pages, {kind}, scale {args.scale}; median of {requests} requests after one "
          f"counted request (SQL: statements sent, BEGIN included; KB: the page's size); "
          f"Flask test client, no server (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, shared: times are noisy)")
    for name, sizes in (("demo", demo_sizes), ("big", big_sizes)):
        print(f"{name} size: " + ", ".join(f"{count:,} {what}" for what, count in sizes.items()))
    if took is None:
        print("big database: reused from the cache (--rebuild to build it again)")
    else:
        print(f"big database built in {sum(took.values()):.0f} s: "
              + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in took.items()))
    report(demo, big, peak)
    print(f"whole run {perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
