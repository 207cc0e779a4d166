"""How long a gate-list PDF for 20 visitors takes to render, on a throwaway SQLite database.

Run from the repository: ``.venv/bin/python -m benchmarks.gate_list_pdf``.
"""

import statistics
import tempfile
from datetime import date, time, timedelta
from pathlib import Path
from time import perf_counter

from inreach import create_app
from inreach.database import begin_write, db
from inreach.gate_list.services import gate_list_pdf
from inreach.prisons.models import Prison
from inreach.roster.models import RosterEntry
from inreach.visits.models import Visit, VisitSession
from inreach.volunteers.models import Clearance, Organisation, Volunteer

VISITORS = 20
RUNS = 10


def build_visit() -> int:
    """A visit with one session and 20 rostered volunteers, two in three of them cleared."""
    begin_write()
    day = date.today() + timedelta(days=30)
    prison = Prison(code="WSI", name="HMP Wormwood Scrubs")
    visit = Visit(prison=prison, date=day, title="Benchmark day", gate_list_deadline=day,
                  sessions=[VisitSession(label="Cohort 1", starts_at=time(9, 30),
                                         ends_at=time(12), room="Chapel", capacity=20)])
    organisations = [Organisation(name=f"Organisation {n}", kind="charity") for n in range(4)]
    db.session.add(visit)
    for number in range(VISITORS):
        volunteer = Volunteer(name=f"Visitor {number:02d} Fictional",
                              organisation=organisations[number % 4])
        if number % 3:
            volunteer.clearances.append(Clearance(prison=prison, state="cleared",
                                                  cleared_on=date.today(), id_type="passport"))
        db.session.add(RosterEntry(visit=visit, volunteer=volunteer, role_on_day="Peer mentor"))
    db.session.commit()
    return visit.id


def main() -> None:
    """Render the PDF RUNS times and print the first and the median time."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'benchmark.sqlite'}"
        app = create_app({"TESTING": True, "SECRET_KEY": "benchmark", "DATABASE_URL": url})
        with app.app_context():
            db.create_all()
            visit_id = build_visit()
            timings = []
            for _ in range(RUNS):
                start = perf_counter()
                size = len(gate_list_pdf(visit_id))
                timings.append(perf_counter() - start)
            db.session.remove()
            db.engine.dispose()
    print(f"gate list PDF, {VISITORS} visitors, {size:,} bytes: first {timings[0]:.2f} s, "
          f"median of {RUNS} {statistics.median(timings):.2f} s")


if __name__ == "__main__":
    main()
