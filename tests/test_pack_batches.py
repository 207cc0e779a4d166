"""Session batches on the task queue and the real database: register order, each pack or form on
a new sheet, his own version, progress after each part, audit rows, the PDF kept only for a
while; a chunk that raises retried then failed with a reason, a batch whose worker stopped
queued again once then failed, a queue that does not answer refused with nothing recorded.
And the safety rule for everything printed from the directory: hostile entries fetch nothing
and print as text.

Most tests run tasks at once in the caller (Huey's immediate mode); the ones about what waits on
the queue use a real broker and run its tasks here one at a time, as a worker would
(tests/test_worker.py runs them in real worker processes)."""

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select, update

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db, utcnow
from inreach.errors import DomainError
from inreach.jobs.models import TaskFailure
from inreach.jobs.queue import QueueUnavailable, huey
from inreach.packs import batches, documents
from inreach.packs.content import PackOptions
from inreach.packs.models import PrintJob, PrintPart

from . import planning
from .conftest import log_in
from .pack_builders import entry, printing_day  # noqa: F401 (a fixture)
from .printing_helpers import counting_server, pdf_reader, pdf_text
from .queue_helpers import (
    broker_config,
    empty_queue,
    run_next,
    run_queue,
    run_retries,
    waiting_tasks,
)


@pytest.fixture
def day(app_context, printing_day):  # noqa: F811
    """The printing day's ids, inside an app context."""
    return printing_day


@pytest.fixture
def on_a_queue(make_app, tmp_path, day):
    """Tasks wait on a real broker (no worker) instead of running at once; the test runs them."""
    make_app(create_tables=False, **broker_config(tmp_path))
    empty_queue()
    yield
    empty_queue()


def start(day, kind: str = "forms", options: PackOptions | None = None) -> PrintJob:
    """Start a batch as the organiser."""
    return batches.start(day["visit"], day["session"], kind, options or PackOptions(),
                         day["users"]["organiser"])


def finished(day, kind: str, options: PackOptions | None = None) -> PrintJob:
    """Start a batch (its tasks run at once, as a worker would run them) and read it back."""
    job = start(day, kind, options)
    db.session.expire_all()
    return db.session.get(PrintJob, job.id)


def reread(job_id: int) -> PrintJob:
    """The batch as the database has it now."""
    db.session.expire_all()
    return db.session.get(PrintJob, job_id)


def stall(job_id: int) -> None:
    """Make the batch look as if its worker stopped: no progress for longer than allowed."""
    stalled = timedelta(seconds=current_app.config["PRINT_STALLED_SECONDS"] + 1)
    begin_write()
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id).values(
        progressed_at=utcnow() - stalled))
    db.session.commit()


def expire(*job_ids: int) -> None:
    """Make these finished batches older than they are kept for."""
    keep = timedelta(minutes=current_app.config["PRINT_BATCH_KEEP_MINUTES"] + 1)
    begin_write()
    db.session.execute(update(PrintJob).where(PrintJob.id.in_(job_ids)).values(
        finished_at=utcnow() - keep))
    db.session.commit()


def first_pages(pdf: bytes, marker: str) -> list[int]:
    """The page indexes (from 0) whose text starts a document: they hold the marker."""
    return [index for index, page in enumerate(pdf_reader(pdf).pages)
            if marker in page.extract_text()]


def test_a_batch_of_packs_is_one_pdf_in_register_order_each_on_a_new_sheet(day):
    job = finished(day, "packs")
    assert (job.state, job.done, job.total, job.reason) == ("done", 3, 3, "")
    pdf = batches.download(job, day["users"]["organiser"])
    starts = first_pages(pdf, "Your plan for release\n")
    assert len(starts) == 3 and all(index % 2 == 0 for index in starts)  # fronts of sheets
    text = pdf_text(pdf)
    assert text.index("For John") < text.index("For Lee") < text.index("For Karl")  # by surname
    assert len(pdf_reader(pdf).pages) % 2 == 0
    assert pdf_reader(pdf).metadata.title == "Resource packs: Cohort 1, " \
        f"{day['visit_date']:%d %B %Y}"
    assert pdf_reader(pdf).trailer["/Root"]["/Lang"] == "en"
    assert db.session.scalar(select(func.count()).select_from(PrintPart)) == 0  # joined, gone


def test_each_pack_in_a_batch_is_in_his_own_version_and_names_can_be_left_off(day):
    pdf = batches.download(finished(day, "packs", PackOptions(with_name=False)),
                           day["users"]["organiser"])
    text = pdf_text(pdf)
    assert "For John" not in text and "For Lee" not in text
    lee = text[text.index("You did not ask us to refer you"):]
    assert "Keep it safe. Take it with you when you leave." in text  # his easy-read cover
    assert "Cost: Free" in lee  # easy read's one idea per line


def test_a_batch_of_forms_carries_each_mans_reference(day):
    job = finished(day, "forms")
    pdf = batches.download(job, day["users"]["organiser"])
    text = pdf_text(pdf)
    references = [day["references"][name] for name in ("john", "lee", "karl")]  # by surname
    positions = [text.index(f"Form reference\n{reference}") for reference in references]
    assert positions == sorted(positions)
    assert all(index % 2 == 0 for index in first_pages(pdf, "Form reference"))


def test_a_batch_is_audited_for_each_man_and_on_download(day):
    job = finished(day, "forms")
    batches.download(job, day["users"]["organiser"])
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.object_type)
                              .order_by(AuditEvent.id)).all()
    printed = [row for row in rows if row[0] == "referral_form.printed"]
    assert printed == [("referral_form.printed", "cohort_member")] * 3
    assert ("print_batch.started", "print_job") in rows
    assert rows[-1] == ("print_batch.downloaded", "print_job")


def test_a_finished_batch_is_kept_only_for_a_while(app, day):
    first = finished(day, "forms").id
    expire(first)
    with pytest.raises(DomainError, match="no longer kept"):
        batches.download(db.session.get(PrintJob, first), day["users"]["organiser"])
    later = finished(day, "forms").id  # starting another deletes the expired PDF
    assert reread(first).pdf is None
    assert reread(later).pdf is not None


def test_a_session_with_nobody_in_it_is_refused_and_nothing_is_written(day):
    empty = planning.session(day["visit"], "Cohort 2", "13:00", "15:00")
    with pytest.raises(DomainError, match="No men are placed"):
        batches.start(day["visit"], empty.id, "packs", PackOptions(), day["users"]["organiser"])
    assert db.session.scalar(select(PrintJob)) is None


def test_a_batch_waits_on_the_queue_until_a_worker_takes_it_and_moves_after_each_part(
        day, on_a_queue, monkeypatch):
    monkeypatch.setattr(batches, "CHUNK", 1)  # a part per man
    job_id = start(day).id
    assert waiting_tasks() == [("render_chunk", (job_id, number)) for number in range(3)]
    job = reread(job_id)
    assert (job.state, job.done) == ("queued", 0) and batches.waiting_seconds(job) >= 0
    seen = []
    for _ in range(3):
        assert run_next() == "render_chunk"
        job = reread(job_id)
        seen.append((job.state, job.done, batches.waiting_seconds(job)))
    assert seen == [("running", 1, None), ("running", 2, None), ("running", 3, None)]
    assert run_queue() == ["join_parts"]  # queued by the last part
    assert reread(job_id).state == "done"
    assert first_pages(reread(job_id).pdf, "Form reference") == [0, 2, 4]


def test_a_chunk_that_raises_is_retried_then_the_batch_fails_with_a_reason(
        day, client, monkeypatch):
    tries = []

    def broken(*args, **kwargs):
        tries.append(1)
        raise RuntimeError("WeasyPrint choked on John Fictional")  # a library's own words

    monkeypatch.setattr(batches, "htmls_to_pdf", broken)
    empty_queue()  # immediate mode keeps its retries in memory, from test to test
    job_id = start(day).id
    assert len(tries) == 1 and reread(job_id).state == "running"  # not failed yet: a retry waits
    retry = huey.scheduled()
    assert [(task.name, task.retries) for task in retry] == [("render_chunk", 1)]
    assert timedelta(seconds=4) < retry[0].eta - utcnow().replace(tzinfo=None) \
        <= timedelta(seconds=5)  # after a pause, not at once
    assert db.session.scalar(select(TaskFailure)) is None
    run_retries()
    assert len(tries) == 2 and reread(job_id).state == "running"
    run_retries()
    assert len(tries) == 3 and huey.scheduled() == []  # no tries left
    job = reread(job_id)
    assert (job.state, job.reason, job.pdf) == ("failed", batches.FAILED_CHUNK, None)
    failure = db.session.scalar(select(TaskFailure))
    assert failure.task == "render_chunk"
    assert failure.reason == "RuntimeError (details are in the worker's log)"  # not its words
    with pytest.raises(DomainError):
        batches.download(job, day["users"]["organiser"])
    log_in(client, "organiser@test.example")
    page = client.get(f"/visits/{day['visit']}/sessions/{day['session']}/printing/batches/"
                      f"{job.public_id}").get_data(as_text=True)
    assert "This batch did not finish" in page and batches.FAILED_CHUNK in page
    assert "data-batch-running" not in page and "John Fictional" not in page


def test_a_stalled_batch_has_its_missing_parts_queued_again_once(day, on_a_queue,
                                                                  monkeypatch):
    monkeypatch.setattr(batches, "CHUNK", 1)
    job_id = start(day).id
    assert run_next() == "render_chunk"  # the first part is stored ...
    huey.storage.flush_queue()  # ... then the worker dies holding the other two
    assert batches.recover_stalled() == 0  # it moved a moment ago: not stalled yet
    stall(job_id)
    assert batches.recover_stalled() == 1
    assert waiting_tasks() == [("render_chunk", (job_id, 1)), ("render_chunk", (job_id, 2))]
    assert reread(job_id).attempts == 2
    assert batches.recover_stalled() == 0  # queued again just now: left alone
    run_queue()
    job = reread(job_id)
    assert (job.state, job.done, job.reason) == ("done", 3, "")
    assert first_pages(job.pdf, "Form reference") == [0, 2, 4]


def test_a_batch_that_stalls_twice_fails_and_says_the_worker_stopped(day, client, on_a_queue,
                                                                    monkeypatch):
    monkeypatch.setattr(batches, "CHUNK", 1)
    job_id = start(day).id
    run_next()
    for _ in range(2):
        huey.storage.flush_queue()
        stall(job_id)
        batches.recover_stalled()
    job = reread(job_id)
    assert (job.state, job.reason, job.attempts) == ("failed", batches.STOPPED, 2)
    assert waiting_tasks() == []
    assert db.session.scalar(select(func.count()).select_from(PrintPart)) == 0
    log_in(client, "organiser@test.example")
    page = client.get(f"/visits/{day['visit']}/sessions/{day['session']}/printing/batches/"
                      f"{job.public_id}").get_data(as_text=True)
    assert batches.STOPPED in page and "data-batch-running" not in page


def test_a_stalled_batch_with_every_part_stored_is_joined(day, on_a_queue, monkeypatch):
    monkeypatch.setattr(batches, "CHUNK", 1)
    job_id = start(day).id
    for _ in range(3):
        assert run_next() == "render_chunk"
    assert waiting_tasks() == [("join_parts", (job_id,))]
    huey.storage.flush_queue()  # the join was lost with its worker
    stall(job_id)
    assert batches.recover_stalled() == 1
    assert waiting_tasks() == [("join_parts", (job_id,))]
    run_queue()
    assert reread(job_id).state == "done"


def test_a_chunk_or_join_run_twice_changes_nothing(day, on_a_queue):
    job_id = start(day).id
    assert run_next() == "render_chunk"
    batches.render_chunk.call_local(job_id, 0)  # delivered twice
    assert reread(job_id).done == 3
    assert db.session.scalar(select(func.count()).select_from(PrintPart)) == 1
    assert run_queue() == ["join_parts"]
    pdf = reread(job_id).pdf
    batches.render_chunk.call_local(job_id, 0)
    batches.join_parts.call_local(job_id)
    job = reread(job_id)
    assert (job.state, job.done, job.pdf) == ("done", 3, pdf)
    assert waiting_tasks() == []


def test_a_queue_that_does_not_answer_refuses_the_batch_and_records_nothing(make_app, day):
    make_app(create_tables=False, QUEUE_IMMEDIATE=False, REDIS_URL="redis://127.0.0.1:1/0")
    with pytest.raises(QueueUnavailable, match="cannot be reached just now"):
        start(day)
    assert db.session.scalar(select(PrintJob)) is None
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "referral_form.printed")) is None


def test_a_queue_lost_while_the_batch_is_queued_fails_it_with_a_reason(day, on_a_queue,
                                                                       monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown

    def gone(*args, **kwargs):
        raise RedisDown("Connection refused")

    monkeypatch.setattr(batches, "CHUNK", 1)
    monkeypatch.setattr(huey.storage, "enqueue", gone)  # it answered the check, then went
    with pytest.raises(QueueUnavailable):
        start(day)
    job = db.session.scalar(select(PrintJob))
    assert (job.state, job.pdf) == ("failed", None) and "could not be reached" in job.reason
    assert db.session.scalar(select(func.count()).select_from(PrintJob).where(
        PrintJob.state.in_(("queued", "running")))) == 0


# Everything we know of that makes WeasyPrint fetch: none of it may, from any field.
def hostile(port: int) -> dict:
    return {
        "name": f'Hostile <img src="http://127.0.0.1:{port}/name.png"> desk',
        "description": f'<link rel="attachment" href="file:///etc/passwd">'
                       f'<style>body {{ background: url("http://127.0.0.1:{port}/css.png") }}'
                       f'</style><script>alert(1)</script>',
        "url": "file:///etc/passwd",
        "opening_hours": f'<img src="file:///etc/passwd"> url(http://127.0.0.1:{port}/u)',
        "application_process": f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">',
        "fees": f"<object data='http://127.0.0.1:{port}/o.svg'></object>",
    }


def test_hostile_directory_entries_fetch_nothing_and_print_as_text(day):
    with counting_server() as server:
        values = hostile(server.server_port)
        name = values.pop("name")
        service = entry(name, ["Camden"], ["health"], "020 7946 0009", referable=True,
                        **values)
        begin_write()
        service.next_steps = f'<img src="http://127.0.0.1:{server.server_port}/next.png">'
        db.session.commit()
        john = documents.member(day["visit"], day["session"], day["john"])
        organiser = day["users"]["organiser"]
        pdfs = [documents.pack_pdf(john, PackOptions(), organiser),
                documents.pack_pdf(john, PackOptions(easy_read=True), organiser),
                documents.form_pdf(john, organiser), documents.form_pdf(None),
                documents.blank_pack_pdf("Camden", PackOptions()),
                batches.download(finished(day, "packs"), organiser)]
    assert server.requests == []
    for pdf in pdfs:
        assert pdf_reader(pdf).attachments == {}
        text = "".join(pdf_text(pdf).split())
        assert "root:x:0" not in text
        assert "".join(name.split()) in text  # the markup, shown as text
    pack = "".join(pdf_text(pdfs[0]).split())
    assert "<scri" in pack and "file:///etc/passwd" in pack


def test_the_purge_command_deletes_expired_batch_pdfs_only(app, day, runner):
    kept, old = finished(day, "forms").id, finished(day, "forms").id
    expire(old)
    db.session.close()  # the command's transaction is its own
    result = runner.invoke(args=["purge-print-batches"])
    assert result.exit_code == 0 and "Deleted 1 expired batch PDF(s)." in result.output
    assert reread(old).pdf is None
    assert reread(kept).pdf is not None


def test_the_purge_schedule_deletes_expired_batch_pdfs(app, day):
    from inreach.jobs import schedules

    old = finished(day, "forms").id
    expire(old)
    schedules.purge_print_batches.call_local()
    assert reread(old).pdf is None
    assert schedules.last_run("purge_print_batches") is not None
