"""Printing speed and memory, on a throwaway SQLite database (and queue file) with the demo
directory and a session of 60 men, each with two self-referrals and his release area.

- one pack: the server's time for a pack download (log-in check, database, audit row,
  WeasyPrint) against raw WeasyPrint rendering the same HTML with the same options;
- a session batch of 60 packs as the app runs it: started with ``batches.start`` and rendered by
  a real worker (``flask --app inreach worker --workers 2``, its own processes), timed from the
  start to the first progress step and to the stored PDF, against the same 60 packs built and
  rendered one after another in one process (in turns, median of 3); with the peak memory of all
  the processes together (this one, the worker and its forked processes);
- 60 pre-filled forms as a batch, through the same worker.

Run from the repository: ``.venv/bin/python -m benchmarks.pack_printing``.
"""

import io
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter

from pypdf import PdfReader
from sqlalchemy import select
from weasyprint import HTML

from inreach import create_app
from inreach.accounts.models import User
from inreach.cohorts.models import CohortMember
from inreach.database import db
from inreach.demo.seed import DEFAULT_PASSWORD, demo_email
from inreach.jobs.queue import worker_seen_seconds_ago
from inreach.packs import batches, documents
from inreach.packs.content import PackOptions
from inreach.packs.models import PrintJob
from inreach.printing.services import ORIGIN, StaticOnlyFetcher, htmls_to_pdf

from .pack_session import MEN, demo_app, rss

RUNS = 7
RUNS_SIDE_BY_SIDE = 3
WORKERS = 2
MB = 2**20
ROOT = Path(__file__).resolve().parent.parent


# --- the worker and its memory ---------------------------------------------------------------

@contextmanager
def worker(app):
    """``flask --app inreach worker`` on the app's database and queue file, in a process group
    of its own, checked in and ready; its process group id. Stopped with SIGTERM afterwards."""
    env = {**os.environ, "INREACH_DATABASE_URL": app.config["DATABASE_URL"],
           "INREACH_QUEUE_FILE": app.config["QUEUE_FILE"], "INREACH_SECRET_KEY": "benchmark"}
    env.pop("INREACH_REDIS_URL", None)
    log = Path(app.config["QUEUE_FILE"]).with_name("worker.log")
    with open(log, "wb") as output:
        process = subprocess.Popen(  # noqa: S603  (our own command, fixed arguments)
            [sys.executable, "-m", "flask", "--app", "inreach", "worker", "--workers",
             str(WORKERS)], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while worker_seen_seconds_ago() is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the worker did not start:\n" + log.read_text())
            time.sleep(0.05)
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # anything left behind
            except ProcessLookupError:
                pass


def group(pgid: int) -> list[Path]:
    """The /proc folders of the processes in a process group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                found.append(stat.parent)
        except OSError:  # it ended as we looked
            continue
    return found


def kib(process: Path, name: str, file: str = "status") -> int:
    """A memory figure of a process in bytes, e.g. VmRSS, VmHWM or (in smaps_rollup) Pss;
    0 if the process has gone."""
    try:
        text = (process / file).read_text()
    except OSError:
        return 0
    return next(int(line.split()[1]) * 1024 for line in text.splitlines()
                if line.startswith(name + ":"))


class PeakMemory:
    """The peak memory of this process and the worker's process group together while it runs:
    the sum of their proportional set sizes (PSS: a page the forked workers share counts once,
    split between them) sampled every 0.25 s, and the sum of their resident sizes (RSS: a
    shared page counts in every process) every 0.05 s."""

    def __init__(self, pgid: int):
        self.processes = [Path("/proc/self")] + group(pgid)
        self.peak_pss = self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        samples = 0
        while not self._stop.wait(0.05):
            self.peak_rss = max(self.peak_rss, sum(rss(process) for process in self.processes))
            if samples % 5 == 0:
                self.peak_pss = max(self.peak_pss, sum(kib(process, "Pss", "smaps_rollup")
                                                       for process in self.processes))
            samples += 1


class OtherLoad:
    """How many cores processes other than ours (this one and the worker's) kept busy while it
    ran: the machine's busy time from /proc/stat less our processes' CPU time. A speed-up from
    two worker processes needs two free cores."""

    def __init__(self, pgid: int):
        self.processes = [Path("/proc/self")] + group(pgid)

    def _ticks(self) -> tuple[int, int, float]:
        """The machine's busy ticks, ours, and the time."""
        total = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        cpu = [int(value) for value in total[1:9]]  # user, nice, system, idle, iowait … steal
        busy = sum(cpu) - cpu[3] - cpu[4]
        ours = 0
        for process in self.processes:
            try:
                fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ours += int(fields[11]) + int(fields[12])  # utime, stime
        return busy, ours, perf_counter()

    def __enter__(self):
        self._start = self._ticks()
        return self

    def __exit__(self, *exc):
        (busy, ours, start), (busy_end, ours_end, end) = self._start, self._ticks()
        hertz = os.sysconf("SC_CLK_TCK")
        self.cores = max(busy_end - busy - (ours_end - ours), 0) / hertz / (end - start)


def highest_rss(pgid: int) -> int:
    """The sum of each process's own highest resident size so far (VmHWM), this one included:
    more than they ever held at once."""
    return sum(kib(process, "VmHWM") for process in [Path("/proc/self")] + group(pgid))


# --- figures ---------------------------------------------------------------------------------

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


def batch(visit_id: int, session_id: int, kind: str, organiser: int) -> tuple[float, float,
                                                                                bytes]:
    """Start a batch as the organiser does and poll it until the worker has stored its PDF:
    seconds to the first progress step, seconds to the PDF, the PDF."""
    start = perf_counter()
    job_id = batches.start(visit_id, session_id, kind, PackOptions(), organiser).id
    first_step = None
    while True:
        db.session.commit()  # a fresh read each time: the worker writes in between
        state, done = db.session.execute(select(PrintJob.state, PrintJob.done).where(
            PrintJob.id == job_id)).one()
        if done and first_step is None:
            first_step = perf_counter() - start
        if state in ("done", "failed"):
            break
        time.sleep(0.02)
    finished = perf_counter() - start
    if state != "done":
        raise SystemExit(f"the {kind} batch failed: {db.session.get(PrintJob, job_id).reason}")
    pdf = db.session.scalar(select(PrintJob.pdf).where(PrintJob.id == job_id))
    db.session.commit()
    return first_step, finished, pdf


def app_settings(app) -> dict:
    """The benchmark app's settings, for another process on the same database and queue."""
    return {name: app.config[name] for name in ("TESTING", "SECRET_KEY", "DATABASE_URL",
                                                "QUEUE_FILE", "WTF_CSRF_ENABLED")}


def one_after_another(config: dict, session_id: int) -> tuple[float, int]:
    """In a process of its own (warm after one pack): the batch's work one pack after another,
    each man's pack built from the database and all 60 rendered into one PDF; seconds and the
    PDF's size."""
    app = create_app(config)
    with app.app_context():
        men = list(db.session.scalars(select(CohortMember).where(
            CohortMember.session_id == session_id).order_by(CohortMember.id)))
        htmls_to_pdf(batches.pack_htmls(men[:1], PackOptions()), title="Warm-up")
        db.session.commit()
        start = perf_counter()
        men = list(db.session.scalars(select(CohortMember).where(
            CohortMember.session_id == session_id).order_by(CohortMember.id)))
        htmls = batches.pack_htmls(men, PackOptions())
        db.session.commit()
        pdf = htmls_to_pdf(htmls, title="Packs")
        return perf_counter() - start, len(pdf)


def session_batches(app, visit_id: int, session_id: int) -> None:
    """The 60 packs as batches through a real worker, each beside the same packs one after
    another in this process (in turns, so both see the same load); the 60 forms; the memory of
    every process."""
    with app.app_context():
        organiser = db.session.scalar(select(User.id).where(
            User.email == demo_email("organiser")))
        with worker(app) as pgid:
            with PeakMemory(pgid) as cold_memory:  # its processes render for the first time
                cold_step, cold, _ = batch(visit_id, session_id, "packs", organiser)
            rounds = []
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as other:
                for _ in range(RUNS_SIDE_BY_SIDE):
                    with OtherLoad(pgid) as load:
                        step, warm, pdf = batch(visit_id, session_id, "packs", organiser)
                    rounds.append((step, warm, *other.submit(
                        one_after_another, app_settings(app), session_id).result(),
                        load.cores))
            _, forms_time, forms = batch(visit_id, session_id, "forms", organiser)
            with PeakMemory(pgid) as memory:
                batch(visit_id, session_id, "packs", organiser)
            highest = highest_rss(pgid)
            workers = len(group(pgid))
    step, warm, one_by_one = (statistics.median(run[index] for run in rounds)
                              for index in range(3))
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"batch of {MEN} packs ({pages} pages, {len(pdf):,} bytes) through the worker "
          f"({WORKERS} worker processes), median of {RUNS_SIDE_BY_SIDE}: first progress step "
          f"{step:.2f} s after the start, stored PDF after {warm:.2f} s (the first batch after "
          f"the worker started: {cold_step:.2f} s and {cold:.2f} s)")
    print(f"the same {MEN} packs built and rendered one after another in one process of their "
          f"own, median of {RUNS_SIDE_BY_SIDE} in turn with the batches: {one_by_one:.2f} s "
          f"({rounds[-1][3]:,} bytes); speed-up {one_by_one / warm:.2f}x (target >= 1.8x; "
          f"other processes on this machine kept {statistics.median(run[4] for run in rounds):.1f}"
          f" of its {os.cpu_count()} cores busy during the batches)")
    pss = max(memory.peak_pss, cold_memory.peak_pss) / MB
    resident = max(memory.peak_rss, cold_memory.peak_rss) / MB
    print(f"peak memory of all processes during a batch (this one, the worker's {workers - 1} "
          f"forked processes and the worker itself): {pss:.0f} MB PSS (target < 600 MB); "
          f"{resident:.0f} MB counting each shared page in every process (RSS), "
          f"{highest / MB:.0f} MB adding each process's own peak (VmHWM) over all the batches")
    pages = len(PdfReader(io.BytesIO(forms)).pages)
    print(f"batch of {MEN} pre-filled forms ({pages} pages) through the worker: "
          f"{forms_time:.2f} s from the start to the stored PDF (target < 5 s)")


def main() -> None:
    with demo_app() as (app, visit_id, session_id):
        client = app.test_client()
        client.post("/login", data={"email": demo_email("organiser"),
                                    "password": DEFAULT_PASSWORD})
        one_pack(app, client, visit_id, session_id)
        session_batches(app, visit_id, session_id)


if __name__ == "__main__":
    main()
