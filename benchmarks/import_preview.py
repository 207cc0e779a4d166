"""How long reading and previewing a prison list of 2,000 men takes (and, once, confirming it),
on a throwaway SQLite database with 100 men already on the visit.

Run from the repository: ``.venv/bin/python -m benchmarks.import_preview``.
"""

import statistics
import tempfile
from datetime import date, timedelta
from pathlib import Path
from time import perf_counter

from inreach import create_app
from inreach.cohorts import importing
from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, db
from inreach.printing.spreadsheet import csv_download, csv_text
from inreach.prisons.models import Prison
from inreach.visits.models import Visit

MEN = 2000
ON_VISIT = 100
RUNS = 7


def prison_number(n: int) -> str:
    """A well-formed, fictional prison number for the n-th man."""
    return f"Z{n:04d}{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}"


def build_visit(day: date) -> Visit:
    """A visit with the first ON_VISIT men of the list already on its cohort."""
    begin_write()
    visit = Visit(prison=Prison(code="WSI", name="HMP Wormwood Scrubs"), date=day,
                  title="Benchmark day", gate_list_deadline=day)
    db.session.add(visit)
    for n in range(ON_VISIT):
        person = Person(prison_number=prison_number(n), first_name="Already", last_name="On")
        db.session.add(CohortMember(visit=visit, person=person))
    db.session.commit()
    return visit


def man(n: int, day: date) -> list[str]:
    """One line of the list: mostly eligible, some released, outside, invalid or repeated."""
    number = prison_number(n - 1 if n % 50 == 0 else n)
    release = day + timedelta(days=[10, 45, 200, -40][n % 4 if n % 7 == 0 else 0])
    return [number if n % 97 else "bad", f"Fictional{n}", "Example", f"{release:%d/%m/%Y}",
            "CRD", "no", "1990-01-31", "B wing", "Ealing", "employment; housing", "", "", "",
            "", prison_number(n + 1) if n % 10 == 0 else ""]


def main() -> None:
    """Parse and preview the list RUNS times, then confirm it once; print the times."""
    day = date.today() + timedelta(days=30)
    content = csv_download(csv_text([list(importing.COLUMNS)]
                                     + [man(n, day) for n in range(MEN)]))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'benchmark.sqlite'}"
        app = create_app({"TESTING": True, "SECRET_KEY": "benchmark", "DATABASE_URL": url})
        with app.app_context():
            db.create_all()
            visit = build_visit(day)
            timings = []
            for _ in range(RUNS):
                start = perf_counter()
                rows = importing.preview(visit, importing.parse(content), date.today())
                timings.append(perf_counter() - start)
            tally = importing.counts(rows)
            start = perf_counter()
            importing.confirm(visit.id, content, None, date.today())
            confirmed = perf_counter() - start
            db.session.remove()
            db.engine.dispose()
    print(f"import preview, {MEN:,} rows, {len(content):,} bytes: first {timings[0]:.3f} s, "
          f"median of {RUNS} {statistics.median(timings):.3f} s; {tally}; "
          f"confirm {confirmed:.2f} s")


if __name__ == "__main__":
    main()
