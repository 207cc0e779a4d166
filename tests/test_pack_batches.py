"""Session batches through the real worker processes and database: register order, each pack
or form on a new sheet, progress, audit rows, the PDF kept only for a while, a failure shown as
such. And the safety rule for everything printed from the directory: hostile entries fetch
nothing and print as text."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db, utcnow
from inreach.errors import DomainError
from inreach.packs import batches, documents
from inreach.packs.content import PackOptions
from inreach.packs.models import PrintJob
from inreach.printing import parallel

from . import planning
from .pack_builders import entry, printing_day  # noqa: F401 (a fixture)
from .printing_helpers import counting_server, pdf_reader, pdf_text


@pytest.fixture
def day(app_context, printing_day):  # noqa: F811
    """The printing day's ids, inside an app context."""
    return printing_day


def finished(day, kind: str, options: PackOptions | None = None) -> PrintJob:
    """Start a batch as the organiser, wait for it, and read it back."""
    job = batches.start(day["visit"], day["session"], kind, options or PackOptions(),
                        day["users"]["organiser"])
    batches.wait(job.id)
    return db.session.get(PrintJob, job.id)


def first_pages(pdf: bytes, marker: str) -> list[int]:
    """The page indexes (from 0) whose text starts a document: they hold the marker."""
    return [index for index, page in enumerate(pdf_reader(pdf).pages)
            if marker in page.extract_text()]


def test_a_batch_of_packs_is_one_pdf_in_register_order_each_on_a_new_sheet(day):
    job = finished(day, "packs")
    assert (job.state, job.done, job.total) == ("done", 3, 3)
    pdf = batches.download(job, day["users"]["organiser"])
    starts = first_pages(pdf, "Your plan for release\n")
    assert len(starts) == 3 and all(index % 2 == 0 for index in starts)  # fronts of sheets
    text = pdf_text(pdf)
    assert text.index("For John") < text.index("For Lee") < text.index("For Karl")  # by surname
    assert len(pdf_reader(pdf).pages) % 2 == 0
    assert pdf_reader(pdf).metadata.title == "Resource packs: Cohort 1, " \
        f"{day['visit_date']:%d %B %Y}"
    assert pdf_reader(pdf).trailer["/Root"]["/Lang"] == "en"


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
    begin_write()
    db.session.execute(update(PrintJob).values(finished_at=utcnow() - timedelta(
        minutes=app.config["PRINT_BATCH_KEEP_MINUTES"] + 1)))
    db.session.commit()
    with pytest.raises(DomainError, match="no longer kept"):
        batches.download(db.session.get(PrintJob, first), day["users"]["organiser"])
    later = finished(day, "forms").id  # starting another deletes the expired PDF
    assert db.session.get(PrintJob, first).pdf is None
    assert db.session.get(PrintJob, later).pdf is not None


def test_a_session_with_nobody_in_it_is_refused_and_nothing_is_written(day):
    empty = planning.session(day["visit"], "Cohort 2", "13:00", "15:00")
    with pytest.raises(DomainError, match="No men are placed"):
        batches.start(day["visit"], empty.id, "packs", PackOptions(), day["users"]["organiser"])
    assert db.session.scalar(select(PrintJob)) is None


def test_a_batch_that_fails_says_so(day, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(batches, "render_batch", broken)
    job = finished(day, "forms")
    assert (job.state, job.pdf) == ("failed", None)
    with pytest.raises(DomainError):
        batches.download(job, day["users"]["organiser"])


def test_a_batch_still_running_long_after_it_started_is_shown_as_stopped(day):
    job = PrintJob(session_id=day["session"], kind="packs", total=3,
                   started_by=day["users"]["organiser"],
                   started_at=utcnow() - timedelta(minutes=20))
    begin_write()
    db.session.add(job)
    db.session.commit()
    assert batches.stalled(job)
    job.started_at = utcnow()
    assert not batches.stalled(job)


def test_progress_is_reported_after_each_chunk(app, day, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK", 1)
    heard = []
    htmls = [documents.form_html(None)] * 3
    parallel.render_batch(htmls, title="t", static_folder=app.static_folder,
                          workers=2, progress=heard.append)
    assert sorted(heard) == heard and heard[-1] == 3 and len(heard) == 3


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
    begin_write()
    db.session.execute(update(PrintJob).where(PrintJob.id == old).values(
        finished_at=utcnow() - timedelta(minutes=app.config["PRINT_BATCH_KEEP_MINUTES"] + 1)))
    db.session.commit()
    db.session.close()  # the command's transaction is its own
    result = runner.invoke(args=["purge-print-batches"])
    assert result.exit_code == 0 and "Deleted 1 expired batch PDF(s)." in result.output
    assert db.session.get(PrintJob, old).pdf is None
    assert db.session.get(PrintJob, kept).pdf is not None
