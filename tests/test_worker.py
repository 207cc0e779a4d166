"""The worker as it runs in production: ``flask --app inreach worker --workers 2`` in its own
process group, on the test's database and a real broker (Redis when the suite has
INREACH_REDIS_URL, else a SQLite queue file). A batch runs through it to a downloadable PDF; a
worker killed mid-batch leaves a batch that a new worker finishes or fails with a reason, never
one left running; SIGTERM stops it with no process left behind.

These are marked ``worker`` (``pytest -m worker`` runs just them) and are never skipped."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from inreach.database import db
from inreach.jobs.queue import WORKER_SEEN, huey, worker_seen_seconds_ago
from inreach.packs import batches
from inreach.packs.content import PackOptions
from inreach.packs.models import PrintJob, PrintPart
from inreach.printing.parts import CHUNK

from . import referral_builders as build
from .conftest import csrf_token, log_in
from .pack_builders import printing_day  # noqa: F401 (a fixture)
from .printing_helpers import pdf_reader, pdf_text
from .queue_helpers import broker_config, empty_queue, waiting_tasks

pytestmark = pytest.mark.worker
ROOT = Path(__file__).resolve().parent.parent
STALLED_SECONDS = 6  # the workers' and this test's PRINT_STALLED_SECONDS


@pytest.fixture
def queue_app(make_app, tmp_path, printing_day):  # noqa: F811
    """The app on the printing day's database and a real, empty broker; workers start on the
    same ones."""
    app = make_app(create_tables=False, PRINT_STALLED_SECONDS=STALLED_SECONDS,
                   **broker_config(tmp_path))
    empty_queue()
    yield app
    empty_queue()


@pytest.fixture
def in_app(queue_app):
    """Inside the app, for tests that call services and read the database directly."""
    with queue_app.app_context():
        yield


@pytest.fixture
def workers(queue_app, database_url, tmp_path):
    """Start ``flask --app inreach worker --workers 2`` as its own process group on the test's
    database and broker; each is killed with its whole group at the end whatever happened."""
    started: list[subprocess.Popen] = []
    env = {**os.environ, "INREACH_DATABASE_URL": database_url,
           "INREACH_QUEUE_FILE": queue_app.config["QUEUE_FILE"],
           "INREACH_SECRET_KEY": "test-secret-key",
           "INREACH_PRINT_STALLED_SECONDS": str(STALLED_SECONDS)}
    env.pop("INREACH_REDIS_URL", None)
    if queue_app.config["REDIS_URL"]:
        env["INREACH_REDIS_URL"] = queue_app.config["REDIS_URL"]

    def start() -> subprocess.Popen:
        huey.delete(WORKER_SEEN)
        with open(tmp_path / f"worker-{len(started)}.log", "wb") as log:  # the child keeps one
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "inreach", "worker", "--workers", "2"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(process)
        wait_for(lambda: worker_seen_seconds_ago() is not None or process.poll() is not None,
                 30, "the worker to check in")
        assert process.poll() is None, worker_log(tmp_path)
        return process

    yield start
    for process in started:
        kill_group(process.pid)
        process.wait(10)
    print(worker_log(tmp_path))  # shown when the test failed


def worker_log(folder: Path) -> str:
    """What the workers wrote, for a failing test's output."""
    return "\n".join(path.read_text(errors="replace") for path in sorted(
        folder.glob("worker-*.log")))


def wait_for(condition, seconds: float, what: str) -> None:
    """Poll until the condition holds, failing after the given time."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)


def group(pgid: int) -> list[int]:
    """The processes (zombies included) in a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended as we looked
            continue
        if int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def kill_group(pgid: int) -> None:
    """SIGKILL every process of the group, if any is left."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def more_men(day, count: int) -> None:
    """Place more men in the day's session, so a batch has several chunks."""
    for number in range(count):
        build.man(day["visit"], day["session"], f"D{number:04d}FG", f"Extra{number:02d}",
                  "Madeup")


def job_now(job_id: int) -> PrintJob:
    """The batch as the database has it now (the workers change it), detached: reading it
    later opens no transaction, whose snapshot would hide what the workers do next."""
    db.session.commit()  # end any read first, for the same reason
    job = db.session.get(PrintJob, job_id, options=[undefer(PrintJob.pdf)])
    db.session.expunge(job)
    db.session.commit()
    return job


def chunks_accounted_for(job_id: int) -> set[int]:
    """The chunks stored as parts or still waiting on the queue (a chunk in neither was lost
    with the worker that had taken it)."""
    db.session.commit()
    stored = set(db.session.scalars(select(PrintPart.number).where(PrintPart.job_id == job_id)))
    db.session.commit()
    return stored | {args[1] for name, args in waiting_tasks() if name == "render_chunk"}


def settled(job_id: int) -> bool:
    """Whether the batch is done or failed."""
    return job_now(job_id).state in ("done", "failed")


def test_a_batch_started_on_the_page_runs_through_the_worker_to_a_pdf(queue_app, workers,
                                                                      printing_day):  # noqa: F811
    with queue_app.app_context():
        more_men(printing_day, CHUNK)  # two chunks, for the two worker processes
    workers()
    client = queue_app.test_client()
    log_in(client, "organiser@test.example")
    base = f"/visits/{printing_day['visit']}/sessions/{printing_day['session']}/printing"
    response = client.post(base + "/batches", data={
        "csrf_token": csrf_token(client, base + "/"), "kind": "packs", "with_name": "y",
        "unchecked": "leave_out"})
    assert response.status_code == 302
    with queue_app.app_context():
        job_id = db.session.scalar(select(PrintJob.id))
        wait_for(lambda: settled(job_id), 120, "the batch")
    page = client.get(response.location).get_data(as_text=True)
    assert f"Ready: {CHUNK + 3} men." in page
    download = client.get(response.location + "/pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    text = pdf_text(download.data)
    assert text.index("For John") < text.index("For Lee") < text.index("For Extra00")
    assert text.count("Your plan for release\n") == CHUNK + 3
    assert pdf_reader(download.data).metadata.title.startswith("Resource packs: Cohort 1")
    with queue_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PrintPart)) == 0


def test_a_worker_killed_mid_batch_leaves_a_batch_that_is_finished_or_failed_never_running(
        in_app, workers, printing_day):  # noqa: F811
    more_men(printing_day, 6 * CHUNK - 3)  # six chunks
    first = workers()
    job_id = batches.start(printing_day["visit"], printing_day["session"], "packs",
                           PackOptions(), printing_day["users"]["organiser"]).id
    wait_for(lambda: job_now(job_id).done > 0, 60, "the first part")
    kill_group(first.pid)  # the consumer and its workers, mid-batch, with no warning
    first.wait(10)
    wait_for(lambda: not group(first.pid), 10, "the killed processes to go")
    lost = set(range(6)) - chunks_accounted_for(job_id)  # taken by a killed worker
    assert job_now(job_id).state == "running"

    workers()
    deadline = time.monotonic() + 60
    while not settled(job_id):  # the schedule's recovery, every second instead of every minute
        assert time.monotonic() < deadline, "the batch was left running"
        batches.recover_stalled()
        time.sleep(1)
    job = job_now(job_id)
    if job.state == "done":
        assert pdf_text(job.pdf).count("Your plan for release\n") == 6 * CHUNK
        if lost:
            assert job.attempts == 2  # the lost chunks were queued once more
    else:
        assert job.reason == batches.STOPPED
    assert db.session.scalar(select(func.count()).select_from(PrintPart)) == 0


def test_sigterm_lets_the_running_chunks_finish_and_leaves_no_process_behind(
        in_app, workers, printing_day):  # noqa: F811
    more_men(printing_day, 3 * CHUNK - 3)  # three chunks
    worker = workers()
    job_id = batches.start(printing_day["visit"], printing_day["session"], "packs",
                           PackOptions(), printing_day["users"]["organiser"]).id
    wait_for(lambda: job_now(job_id).state == "running", 60, "a worker to take the batch")
    assert len(group(worker.pid)) >= 3  # the consumer, its two workers (and its scheduler)
    os.kill(worker.pid, signal.SIGTERM)  # as systemd and ./dev run stop it
    assert worker.wait(30) == 0
    wait_for(lambda: not group(worker.pid), 5, "the worker processes to end")
    if job_now(job_id).state == "running":
        assert chunks_accounted_for(job_id) == {0, 1, 2}  # finished, or still on the queue

    workers()
    wait_for(lambda: settled(job_id), 120, "the batch")
    assert job_now(job_id).state == "done"
