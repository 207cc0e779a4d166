"""Memory of single pack PDFs: 360 packs, one after another, through the function the pack
download uses (``documents.pack_pdf``: the man's plan, the audit row, WeasyPrint), on the demo
data with a session of 60 men (each pack is a different man's, six rounds of the session).

It prints the resident memory after the first 60 packs (fonts, styles and caches are warm by
then) and how much it grows per 100 packs after that (target < 5 MB), side by side with the
behaviour before the fix: a new WeasyPrint font configuration for every document. Each runs in a
fresh process, so neither inherits the other's memory.

Run from the repository: ``.venv/bin/python -m benchmarks.pack_memory``.
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import select
from weasyprint.text.fonts import FontConfiguration

from inreach.accounts.models import User
from inreach.cohorts.models import CohortMember
from inreach.database import db
from inreach.demo.seed import demo_email
from inreach.packs import documents
from inreach.packs.content import PackOptions
from inreach.printing import services

from .pack_session import demo_app, rss

PACKS = 360
WARM = 60  # packs before the first reading
STEP = 60  # packs between readings
MB = 2**20


def measure(reuse_font_config: bool) -> list[tuple[int, float]]:
    """(packs printed, resident MB) after the first WARM packs and every STEP after."""
    if not reuse_font_config:  # as before the fix: WeasyPrint's default, one per document
        services.font_config = FontConfiguration
    with demo_app() as (app, visit_id, session_id):
        with app.app_context():
            men = db.session.scalars(select(CohortMember.public_id).where(
                CohortMember.session_id == session_id).order_by(CohortMember.id)).all()
            organiser = db.session.scalar(select(User.id).where(
                User.email == demo_email("organiser")))
        readings = []
        for number in range(1, PACKS + 1):
            with app.app_context():  # one request's worth: the session ends with it
                man = documents.member(visit_id, session_id, men[number % len(men)])
                documents.pack_pdf(man, PackOptions(), organiser)
            if number >= WARM and (number - WARM) % STEP == 0:
                readings.append((number, rss() / MB))
        return readings


def in_fresh_process(reuse_font_config: bool) -> list[tuple[int, float]]:
    """``measure`` in a new process of its own."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as process:
        return process.submit(measure, reuse_font_config).result()


def report(label: str, readings: list[tuple[int, float]]) -> float:
    """Print the readings and the growth per 100 packs after the first WARM; return it."""
    (first, start), (last, end) = readings[0], readings[-1]
    growth = (end - start) / (last - first) * 100
    steps = ", ".join(f"{mb:.0f}" for _, mb in readings)
    print(f"{label}: {start:.0f} MB after {first} packs, {end:.0f} MB after {last}; "
          f"{growth:.1f} MB per 100 packs after the first {first} (MB every {STEP}: {steps})")
    return growth


def main() -> None:
    now = report("font configuration reused (now)", in_fresh_process(True))
    before = report("one font configuration per document (before)", in_fresh_process(False))
    print(f"growth per 100 packs: {now:.1f} MB now against {before:.1f} MB before "
          "(target < 5 MB)")


if __name__ == "__main__":
    main()
