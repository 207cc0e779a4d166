"""A small read beside a heavy one: the latency of a 2-SELECT request (``/outbox/token``) alone,
then while another client downloads the directory's Open Referral UK export back to back, side
by side in one run, through the real app under waitress on loopback (its own process, 16
threads).

The database holds the demo data and 5,000 directory services loaded through the directory
import (``--scale small``: 500). One client logs in as the demo volunteer and asks for
``/outbox/token`` (what the offline outbox asks before sending what waited) over one keep-alive
connection, back to back, for ``--seconds``: first alone, then while a second client, logged in
as the demo organiser, downloads ``/directory/export.json`` again and again. Printed: p50, p95
and p99 of the token request alone and beside the export, the export's own time alone and
beside, and the target of issue 12 (p95 beside the export <= 50 ms) as met or not. The token
request's statement count is checked first through Flask's test client.

Times are wall-clock on a shared, noisy machine: the ratio of beside to alone says more than
either figure.

Run from the repository: ``.venv/bin/python -m benchmarks.read_beside_export`` (a throwaway
SQLite file; ``--scale small`` for a quick check), or with ``--database-url
postgresql+psycopg://…`` (or ``INREACH_DATABASE_URL``) for a throwaway PostgreSQL database:
**its public schema is dropped and recreated**.
"""

import argparse
import json
import os
import statistics
import tempfile
import threading
from dataclasses import dataclass, field
from time import perf_counter

from sqlalchemy import select

from inreach import create_app
from inreach.accounts.models import User
from inreach.database import counting_statements, db
from inreach.demo.seed import DEFAULT_PASSWORD, demo_email, seed
from inreach.directory import importing

from .common import (
    AppBrowser,
    Browser,
    app_config,
    database_kind,
    database_url,
    log_in,
    oruk_service,
    percentile_ms,
    start_server,
)

SMALL_READ = "/outbox/token"
HEAVY_READ = "/directory/export.json"
TARGET_P95_MS = 50
EXPORTS_ALONE = 3
SCALES = {"full": (5000, 30.0), "small": (500, 5.0)}  # services, seconds per phase


@dataclass
class Downloads:
    """The export client's downloads: seconds each, bytes of the last, errors."""

    seconds: list[float] = field(default_factory=list)
    size: int = 0
    errors: int = 0


def build_database(url: str, services: int) -> None:
    """Tables, the demo data and ``services`` directory services through the import."""
    app = create_app(app_config(url))
    with app.app_context():
        db.create_all()
        seed(DEFAULT_PASSWORD)
        organiser = db.session.scalar(select(User.id).where(
            User.email == demo_email("organiser")))
        content = json.dumps([oruk_service(n) for n in range(services)]).encode()
        importing.import_file(content, "directory.json", False, organiser)
        db.session.remove()
        db.engine.dispose()


def token_statements(url: str) -> list[str]:
    """The SQL statements one token request sends (through the test client)."""
    app = create_app(app_config(url))
    browser = AppBrowser(app)
    log_in(browser, demo_email("volunteer"))
    browser.request("GET", SMALL_READ)  # the first request of a login may do more
    with app.app_context(), counting_statements() as statements:
        browser.request("GET", SMALL_READ)
    with app.app_context():
        db.engine.dispose()
    return statements


def poll(browser: Browser, seconds: float) -> tuple[list[float], int]:
    """Ask for a token back to back for ``seconds``; the latencies and the non-200 answers."""
    latencies, errors = [], 0
    deadline = perf_counter() + seconds
    while perf_counter() < deadline:
        start = perf_counter()
        status, _ = browser.request("GET", SMALL_READ)
        latencies.append(perf_counter() - start)
        errors += status != 200
    return latencies, errors


def download(browser: Browser, downloads: Downloads) -> None:
    """Download the export once, recording its time."""
    start = perf_counter()
    status, content = browser.request("GET", HEAVY_READ)
    downloads.seconds.append(perf_counter() - start)
    downloads.size = len(content)
    downloads.errors += status != 200


def download_until(browser: Browser, downloads: Downloads, stop: threading.Event,
                   started: threading.Event) -> None:
    """Download the export back to back until told to stop."""
    while not stop.is_set():
        started.set()
        download(browser, downloads)


def run(port: int, seconds: float) -> tuple[tuple[list[float], int], tuple[list[float], int],
                                            Downloads, Downloads]:
    """The token alone, the export alone, then both at once."""
    reader, exporter = Browser(port), Browser(port)
    log_in(reader, demo_email("volunteer"))
    log_in(exporter, demo_email("organiser"))
    poll(reader, 1)  # warm up: templates, connections
    alone_exports = Downloads()
    for _ in range(EXPORTS_ALONE):
        download(exporter, alone_exports)
    alone = poll(reader, seconds)
    beside_exports, stop, started = Downloads(), threading.Event(), threading.Event()
    thread = threading.Thread(target=download_until,
                              args=(exporter, beside_exports, stop, started))
    thread.start()
    started.wait()
    beside = poll(reader, seconds)
    stop.set()
    thread.join()
    return alone, beside, alone_exports, beside_exports


def figures(latencies: list[float]) -> str:
    """Count and percentiles of a list of latencies."""
    p50, p95, p99 = (percentile_ms(latencies, share) for share in (50, 95, 99))
    return (f"{len(latencies):>6,} requests, p50 {p50:7.1f} ms, p95 {p95:7.1f} ms, "
            f"p99 {p99:7.1f} ms, max {max(latencies) * 1000:7.1f} ms")


def report(kind: str, services: int, statements: list[str], seconds: float, results) -> None:
    """Print the figures side by side and the verdict."""
    (alone, alone_errors), (beside, beside_errors), alone_exports, beside_exports = results
    selects = sum(statement.lstrip().upper().startswith("SELECT") for statement in statements)
    print(f"{SMALL_READ} ({len(statements)} SQL statements, {selects} of them SELECT), "
          f"demo volunteer, one keep-alive connection, "
          f"back to back for {seconds:.0f} s each; {kind}, {services:,} directory services, "
          f"waitress 16 threads (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
          f"CPUs, shared: times are noisy)")
    print(f"  alone:             {figures(alone)}")
    print(f"  beside the export: {figures(beside)}")
    p95_alone, p95_beside = percentile_ms(alone, 95), percentile_ms(beside, 95)
    print(f"  p95 beside / alone: {p95_beside / p95_alone:.1f}x; non-200 answers: "
          f"{alone_errors} alone, {beside_errors} beside")
    print(f"{HEAVY_READ} ({alone_exports.size / 2**20:.1f} MB): alone median "
          f"{statistics.median(alone_exports.seconds):.2f} s of {len(alone_exports.seconds)}; "
          f"beside the token requests median {statistics.median(beside_exports.seconds):.2f} s "
          f"of {len(beside_exports.seconds)} back to back; non-200 answers: "
          f"{alone_exports.errors + beside_exports.errors}")
    meets = p95_beside <= TARGET_P95_MS
    print(f"verdict: p95 beside the export {p95_beside:.1f} ms "
          f"{'meets' if meets else 'MISSES'} the target <= {TARGET_P95_MS} ms")


def options() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="full",
                        help="full: 5,000 services, 30 s per phase (default); small: 500, 5 s")
    parser.add_argument("--seconds", type=float, help="seconds per phase")
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database; its public "
                        "schema is emptied (default: INREACH_DATABASE_URL, else SQLite)")
    return parser.parse_args()


def main() -> None:
    """Build the database, serve the app, measure alone and beside, print the figures."""
    args = options()
    services, seconds = SCALES[args.scale]
    seconds = args.seconds or seconds
    with tempfile.TemporaryDirectory() as folder:
        url = database_url(args.database_url, folder)
        build_database(url, services)
        statements = token_statements(url)
        server, port = start_server(url)
        try:
            results = run(port, seconds)
        finally:
            server.terminate()
            server.join()
    report(database_kind(url), services, statements, seconds, results)


if __name__ == "__main__":
    main()
