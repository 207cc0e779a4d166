"""The audit trail at 1,000,000 rows: how long a page takes, first and deep, with and without
each filter, beside the CSV download of a week and ``audit-verify`` walking the whole chain.

The rows are three years of history (ending a day ago) by 20 staff accounts and by no one, in
the mix of actions a busy service records, with a few rare ones (an action, a user, a kind of
object) so that a filter that finds almost nothing is measured too. They are written with plain
Core INSERTs of 50,000 rows, each batch chained (``inreach.audit.chain.chain_history``) so the
chain is intact, as the app would have written it. PostgreSQL is ANALYZEd after loading (as
autovacuum would be by the time a trail is this long); SQLite is left as the app leaves it.

Measured through Flask's test client logged in as an auditor (median of ``--requests``, after
one untimed request that also counts the page's SQL statements), and the page's reads alone
(``services.recent``, median). Target: every page under 100 ms, and a deep or filtered page's
reads no slower than the first page's.

Run from the repository::

    .venv/bin/python -m benchmarks.audit_trail
    .venv/bin/python -m benchmarks.audit_trail --rows 100000   # a tenth, quicker
    .venv/bin/python -m benchmarks.audit_trail --database-url postgresql+psycopg://…

A PostgreSQL URL (or INREACH_DATABASE_URL) is a throwaway database: **its public schema is
dropped and recreated**. SQLite uses a file in a temporary folder, deleted afterwards.
"""

import argparse
import random
import statistics
import tempfile
from datetime import UTC, date, datetime, timedelta
from time import perf_counter
from urllib.parse import urlencode

from sqlalchemy import func, insert, select, text

from inreach import create_app
from inreach.accounts.models import User
from inreach.accounts.services import create_user
from inreach.audit import chain
from inreach.audit.models import AuditEvent
from inreach.audit.services import TrailFilter, recent
from inreach.database import begin_write, db, utcnow
from inreach.demo.seed import DEFAULT_PASSWORD

from .common import AppBrowser, app_config, database_kind, database_url, log_in, measure

TARGET_MS = 100
BATCH = 50_000
STAFF = 20
YEARS = 3
AUDITOR = "trail.auditor@example.org"
# (action, object type, share of rows): the everyday mix; rare rows are added on top.
MIX = [("referral.created", "referral", 30), ("referral_set.created", "referral_set", 10),
       ("referral.viewed", "referral", 12), ("referral.status", "referral", 10),
       ("attendance.attended", "cohort_member", 10), ("pack.printed", "cohort_member", 8),
       ("cohort.viewed", "visit", 6), ("login", "user", 6), ("logout", "user", 4),
       ("person.viewed", "person", 4)]
RARE_ACTION = ("consent_wording.published", "consent_wording")  # one row in 100,000
RARE_EVERY = 100_000


def staff_ids() -> list[int]:
    """Twenty fictional staff accounts, written directly (no audit rows: the history comes
    first, so its times stay older than anything the app records later)."""
    begin_write()
    now = utcnow()
    db.session.execute(insert(User), [
        {"email": f"staff{n:02d}@example.org", "display_name": f"Staff Member {n:02d}",
         "role": "organiser", "password_hash": "not-a-hash", "active": True,
         "created_at": now, "password_changed_at": now} for n in range(STAFF)])
    db.session.commit()
    return list(db.session.scalars(select(User.id).order_by(User.id)))


def history_row(n: int, start: datetime, step: timedelta, staff: list[int],
                rng: random.Random, weights: list[tuple[str, str]]) -> dict:
    """Row ``n`` of the history: its time, who (the last staff member only once in 10,000
    rows; no one for one row in 20), what and on which object."""
    if n % RARE_EVERY == RARE_EVERY // 2:
        action, object_type = RARE_ACTION
    else:
        action, object_type = weights[n % len(weights)]
    actor = staff[-1] if n % 10_000 == 7 else (None if n % 20 == 3 else staff[n % (STAFF - 1)])
    return {"at": start + step * n, "actor_id": actor, "action": action,
            "object_type": object_type, "object_id": str(rng.randrange(1, 200_000)),
            "detail": None}


def fill(rows: int) -> float:
    """Write the history in chained batches; the seconds it took."""
    took = perf_counter()
    staff = staff_ids()
    rng = random.Random(16)  # noqa: S311 (fictional data, not security)
    weights = [(action, kind) for action, kind, share in MIX for _ in range(share)]
    rng.shuffle(weights)
    end = utcnow() - timedelta(days=1)
    start = end - timedelta(days=365 * YEARS)
    step = (end - start) / rows
    for first in range(0, rows, BATCH):
        batch = [history_row(n, start, step, staff, rng, weights)
                 for n in range(first, min(first + BATCH, rows))]
        begin_write()
        connection = db.session.connection()
        connection.execute(insert(AuditEvent), chain.chain_history(connection, batch))
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE audit_events"))
    return perf_counter() - took


def pages(first_id: int, staff: list[int], middle: datetime) -> list[tuple[str, dict]]:
    """The pages measured: (what, query arguments)."""
    week = {"start": (middle - timedelta(days=3)).date().isoformat(),
            "end": (middle + timedelta(days=3)).date().isoformat()}
    deep = {"older_than": first_id + 150}
    return [
        ("first page, no filter", {}),
        ("deep page (oldest rows), no filter", deep),
        ("newer link from the deep page", {"newer_than": first_id + 150}),
        ("who: a busy user, first page", {"user": staff[0]}),
        ("who: a busy user, deep page", {"user": staff[0], **deep}),
        ("who: a user with 100 rows in 3 years", {"user": staff[-1]}),
        ("action: common (referral made)", {"action": "referral.created"}),
        ("action: common, deep page", {"action": "referral.created", **deep}),
        ("action: rare (10 rows)", {"action": RARE_ACTION[0]}),
        ("kind of object: referral set", {"type": "referral_set"}),
        ("kind of object: rare (consent wording)", {"type": RARE_ACTION[1]}),
        ("one object (type and id)", {"type": "referral", "object": "4242"}),
        ("days: one week 18 months ago", week),
        ("days: a week, deep in it", {**week, "older_than": None}),
        ("days and action together", {**week, "action": "referral.status"}),
        ("who and action together", {"user": staff[1], "action": "person.viewed"}),
    ]


def week_deep_key(app, week: dict) -> int:
    """An id near the oldest end of the week, for the deep page inside it."""
    start = datetime.fromisoformat(week["start"]).replace(tzinfo=UTC)
    with app.app_context():
        return db.session.scalar(select(AuditEvent.id).where(AuditEvent.at >= start)
                                 .order_by(AuditEvent.at).limit(1)) + 100


def measure_all(app, requests: int) -> list[tuple[str, dict]]:
    """Log in as an auditor, then time every page and the week's CSV download."""
    with app.app_context():
        begin_write()
        create_user(AUDITOR, "Trail Auditor", "auditor", DEFAULT_PASSWORD)
        staff = list(db.session.scalars(select(User.id).where(User.email.like("staff%"))
                                        .order_by(User.id)))
        first_id = db.session.scalar(select(func.min(AuditEvent.id)))
        newest = db.session.scalar(select(func.max(AuditEvent.at)))
    browser = AppBrowser(app)
    log_in(browser, AUDITOR)
    middle = newest - timedelta(days=548)
    results = []
    for what, args in pages(first_id, staff, middle):
        if "older_than" in args and args["older_than"] is None:
            args["older_than"] = week_deep_key(app, args)
        path = "/audit/?" + urlencode(args)
        figures = measure(app, browser, path, requests)
        figures["query_ms"] = query_ms(app, args, requests)
        results.append((what, figures))
    week = pages(first_id, staff, middle)[12][1]
    results.append(("CSV download of one week", measure(
        app, browser, "/audit/trail.csv?" + urlencode(week), max(requests // 2, 1))))
    return results


def query_ms(app, args: dict, requests: int) -> float:
    """The median time of the page's reads alone (``services.recent``: the keyset queries and
    loading the rows), without the form, the template or the request."""
    chosen = TrailFilter(
        actor_id=args.get("user"), action=args.get("action"), object_type=args.get("type"),
        object_id=args.get("object"),
        start=date.fromisoformat(args["start"]) if "start" in args else None,
        end=date.fromisoformat(args["end"]) if "end" in args else None)
    timings = []
    with app.app_context():
        for _ in range(requests + 1):
            start = perf_counter()
            recent(older_than=args.get("older_than"), newer_than=args.get("newer_than"),
                   chosen=chosen)
            timings.append(perf_counter() - start)
            db.session.remove()
    return statistics.median(timings[1:]) * 1000


def verify_seconds(app) -> tuple[chain.Verdict, float]:
    """Walk the whole chain as ``audit-verify`` does; the verdict and the seconds it took."""
    with app.app_context(), db.engine.connect() as connection:
        start = perf_counter()
        verdict = chain.verify(connection)
        return verdict, perf_counter() - start


def report(kind: str, rows: int, filled: float, results: list, verdict, walked: float) -> None:
    """Print the figures and the verdict against the target."""
    print(f"audit trail, {kind}: {rows:,} history rows written and chained in {filled:.1f} s")
    print(f"{'page':45} {'status':>6} {'SQL':>4} {'KB':>7} {'page ms':>8} {'reads ms':>9}")
    for what, figures in results:
        reads = figures.get("query_ms")
        print(f"{what:45} {figures['status']:>6} {figures['statements']:>4} "
              f"{figures['kb']:>7.1f} {figures['ms']:>8.1f} "
              f"{'' if reads is None else f'{reads:.1f}':>9}")
    pages_only = [figures["ms"] for what, figures in results if not what.startswith("CSV")]
    worst = max(pages_only)
    print(f"audit-verify: {'intact' if verdict.intact else 'BROKEN'}, {verdict.rows:,} rows "
          f"walked in {walked:.1f} s")
    print(f"verdict: slowest page {worst:.1f} ms "
          f"{'meets' if worst < TARGET_MS else 'MISSES'} the target < {TARGET_MS} ms")


def run(url: str, rows: int, requests: int) -> None:
    """Build the trail, measure, report."""
    settings = {**app_config(url), "TWO_FACTOR_REQUIRED": False}  # a password-only auditor
    app = create_app(settings)
    with app.app_context():
        db.create_all()
        filled = fill(rows)
    results = measure_all(app, requests)
    verdict, walked = verify_seconds(app)
    report(database_kind(url), rows, filled, results, verdict, walked)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database (emptied)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="history rows (1,000,000)")
    parser.add_argument("--requests", type=int, default=5, help="timed requests per page")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(database_url(arguments.database_url, folder), arguments.rows, arguments.requests)


if __name__ == "__main__":
    main()
