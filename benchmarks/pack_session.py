"""What the printing benchmarks share: a throwaway SQLite database (and task queue file) with the
demo data and a session of 60 men, each with two self-referrals and his release area; and a
process's memory."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time
from pathlib import Path

from sqlalchemy import select

from inreach import create_app
from inreach.accounts.models import User
from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, db
from inreach.demo.seed import DEFAULT_PASSWORD, DEMO_VISIT_TITLE, demo_email, seed
from inreach.directory.services import referable_services
from inreach.referrals import services as referrals
from inreach.referrals.consent import current_wording
from inreach.visits.models import Visit, VisitSession

MEN = 60
AREAS = ("Hammersmith and Fulham", "Ealing")


@contextmanager
def demo_app() -> Iterator[tuple]:
    """The app on a new database with the demo data and the session of 60 men:
    ``(app, visit_id, session_id)``; the database and the queue file beside it are deleted
    afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'benchmark.sqlite'}"
        app = create_app({"TESTING": True, "SECRET_KEY": "benchmark", "DATABASE_URL": url,
                          "QUEUE_FILE": str(Path(folder) / "queue.sqlite"),
                          "WTF_CSRF_ENABLED": False})
        with app.app_context():
            db.create_all()
            seed(DEFAULT_PASSWORD)
            visit_id, session_id = build_session()
        try:
            yield app, visit_id, session_id
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def build_session() -> tuple[int, int]:
    """The demo visit with a new session of 60 men, each having chosen two services."""
    begin_write()
    visit = db.session.scalar(select(Visit).where(Visit.title == DEMO_VISIT_TITLE))
    session = VisitSession(visit=visit, label="Benchmark cohort", starts_at=time(14),
                           ends_at=time(16), room="Library", capacity=200)
    db.session.add(session)
    for number in range(MEN):
        person = Person(prison_number=f"Z{number:04d}ZZ", first_name=f"Man{number:02d}",
                        last_name="Fictional", release_area=AREAS[number % 2])
        db.session.add(CohortMember(visit=visit, person=person, session=session))
    db.session.commit()
    organiser = db.session.scalar(select(User).where(User.email == demo_email("organiser")))
    chosen = [service.id for service in referable_services()[:2]]
    for member in db.session.scalars(select(CohortMember).where(
            CohortMember.session_id == session.id)).all():
        referrals.save(visit.id, session.id, referrals.Capture(
            client_id=f"benchmark-{member.id}", member=member.public_id, chosen=chosen,
            consent={chosen[0]: True, chosen[1]: False}, consent_version=current_wording().version,
            release_area=member.person.release_area), organiser)
    return visit.id, session.id


def rss(process: Path = Path("/proc/self")) -> int:
    """Resident memory in bytes (0 if the process has gone)."""
    try:
        status = (process / "status").read_text()
    except OSError:
        return 0
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024
