"""Printing speed and memory, on a throwaway SQLite database with the demo directory and a
session of 60 men, each with two self-referrals and his release area.

- one pack: the server's time for a pack download (log-in check, database, audit row,
  WeasyPrint) against raw WeasyPrint rendering the same HTML with the same options;
- a session batch of 60 packs: rendered one after another in this process, against the batch
  as the app runs it (worker processes, one per core), with the peak memory of this process
  and its workers together;
- 60 pre-filled forms as a batch.

Run from the repository: ``.venv/bin/python -m benchmarks.pack_printing``.
"""

import io
import statistics
import threading
from pathlib import Path
from time import perf_counter

from pypdf import PdfReader
from sqlalchemy import select
from weasyprint import HTML

from inreach.accounts.models import User
from inreach.cohorts.models import CohortMember
from inreach.database import db
from inreach.demo.seed import DEFAULT_PASSWORD, demo_email
from inreach.packs import batches, documents
from inreach.packs.content import PackOptions
from inreach.printing.parallel import render_batch
from inreach.printing.services import ORIGIN, StaticOnlyFetcher, htmls_to_pdf

from .pack_session import MEN, demo_app, rss

RUNS = 7


class PeakMemory:
    """Samples the resident memory of this process and its children every 20 ms."""

    def __init__(self):
        self.peak_total = self.peak_self = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.wait(0.02):
            mine = rss()
            total = mine + sum(rss(Path(f"/proc/{pid}")) for pid in _children())
            self.peak_self, self.peak_total = max(self.peak_self, mine), max(self.peak_total,
                                                                             total)


def _children() -> list[str]:
    """The process ids of this process's children (the workers)."""
    found = []
    for task in Path("/proc/self/task").iterdir():
        found += (task / "children").read_text().split()
    return found


def timed(function, runs: int = RUNS) -> tuple[float, object]:
    """The median time of the runs, and the last result."""
    timings = []
    for _ in range(runs):
        start = perf_counter()
        result = function()
        timings.append(perf_counter() - start)
    return statistics.median(timings), result


def one_pack(app, client, visit_id: int, session_id: int) -> None:
    """A pack download through the app, against raw WeasyPrint on the same HTML."""
    with app.app_context():
        member = db.session.scalar(select(CohortMember).where(
            CohortMember.session_id == session_id))
        html = documents.pack_html(member, PackOptions())
        public_id = member.public_id
    url = (f"/visits/{visit_id}/sessions/{session_id}/printing/men/{public_id}/pack.pdf"
           "?variant=standard&with_name=y&unchecked=leave_out")
    fetcher = StaticOnlyFetcher(app.static_folder)

    def raw():
        return HTML(string=html, base_url=ORIGIN + "/", url_fetcher=fetcher).write_pdf(
            pdf_tags=True)

    def served():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.data

    raw(), served()  # warm up: fonts, styles, the first connection
    raw_time, _ = timed(raw)
    server_time, pdf = timed(served)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"one pack ({pages} pages): server {server_time:.3f} s, raw WeasyPrint "
          f"{raw_time:.3f} s, ratio {server_time / raw_time:.2f} (target <= 1.15)")


def session_batches(app, session_id: int) -> None:
    """The 60 packs one after another in this process, then as the app's batch."""
    with app.app_context():
        men = list(db.session.scalars(select(CohortMember).where(
            CohortMember.session_id == session_id).order_by(CohortMember.id)))
        pack_htmls = batches.pack_htmls(men, PackOptions())
        form_htmls = batches.form_htmls(men)
    folder, workers = app.static_folder, app.config["PRINT_WORKERS"]
    with PeakMemory() as memory:  # first, so this process holds only what the app would
        start = perf_counter()
        render_batch(pack_htmls[:4], title="warm-up", static_folder=folder, workers=workers)
        cold = perf_counter() - start
        parallel_time, pdf = timed(lambda: render_batch(
            pack_htmls, title="Packs", static_folder=folder, workers=workers), 3)
    with app.app_context():
        start = perf_counter()
        sequential = htmls_to_pdf(pack_htmls, title="Packs")
        one_by_one = perf_counter() - start
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"batch of {MEN} packs ({pages} pages, {len(pdf):,} bytes): one after another in one "
          f"process {one_by_one:.2f} s ({len(sequential):,} bytes); as the app runs it "
          f"{parallel_time:.2f} s (median of 3, workers warm; starting them took "
          f"{cold:.2f} s with 4 packs); speed-up {one_by_one / parallel_time:.2f}x "
          "(target >= 1.8x)")
    print(f"peak memory during the batches: {memory.peak_total / 2**20:.0f} MB for this process "
          f"and its workers together ({memory.peak_self / 2**20:.0f} MB this process; "
          "target < 600 MB)")
    forms_time, forms = timed(lambda: render_batch(
        form_htmls, title="Forms", static_folder=folder, workers=workers), 3)
    pages = len(PdfReader(io.BytesIO(forms)).pages)
    print(f"batch of {MEN} pre-filled forms ({pages} pages): {forms_time:.2f} s "
          "(target < 5 s)")


def whole_job(app, visit_id: int, session_id: int) -> None:
    """A batch as the organiser starts it: HTML, audit rows, workers, the stored PDF."""
    with app.app_context():
        organiser = db.session.scalar(select(User.id).where(
            User.email == demo_email("organiser")))
        for kind in ("packs", "forms"):
            start = perf_counter()
            job = batches.start(visit_id, session_id, kind, PackOptions(), organiser)
            batches.wait(job.id)
            state = db.session.get(batches.PrintJob, job.id).state
            print(f"whole {kind} job from start to stored PDF: {perf_counter() - start:.2f} s "
                  f"({state})")


def main() -> None:
    with demo_app() as (app, visit_id, session_id):
        client = app.test_client()
        client.post("/login", data={"email": demo_email("organiser"),
                                    "password": DEFAULT_PASSWORD})
        one_pack(app, client, visit_id, session_id)
        session_batches(app, session_id)
        whole_job(app, visit_id, session_id)


if __name__ == "__main__":
    main()
