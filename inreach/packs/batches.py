"""Session batches: every man's pack, or every man's pre-filled form, in register order in one
PDF, each starting on a new sheet. The request builds the HTML and audits who printed whose
details; a background thread has the worker processes render it (``printing.parallel``),
records progress, and stores the PDF on the job for ``PRINT_BATCH_KEEP_MINUTES``."""

import logging
import threading
from dataclasses import replace
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ..audit.services import record
from ..cohorts.models import CohortMember
from ..cohorts.register import register_order, session_of
from ..database import db, utcnow, writes
from ..errors import DomainError
from ..printing.parallel import discard_pool, render_batch
from ..printing.services import render_html
from ..referrals.services import set_for
from . import referral_form
from .content import PackOptions, default_options, pack
from .documents import FORM_TEMPLATE, FORM_TITLE, PACK_TEMPLATE, PACK_TITLE
from .models import KINDS, PrintJob

STALLED_AFTER = timedelta(minutes=15)  # a batch "running" longer than this has stopped
log = logging.getLogger(__name__)
_threads: dict[int, threading.Thread] = {}


def start(visit_id: int, session_id: int, kind: str, options: PackOptions,
          actor_id: int) -> PrintJob:
    """Start a batch of the session's packs (each in his preferred variant, with the
    organiser's choices on names and entries that need checking) or pre-filled forms."""
    session = session_of(visit_id, session_id)
    if kind not in KINDS:
        raise DomainError("bad_kind", "Choose packs or forms")
    men = register_order(session.id)
    if not men:
        raise DomainError("no_men", "No men are placed in this session yet")
    htmls = pack_htmls(men, options) if kind == "packs" else form_htmls(men)
    title = f"{KINDS[kind]}: {session.label}, {session.visit.date:%d %B %Y}"
    job = _create_job(session.id, kind, options, [man.id for man in men], actor_id)
    thread = threading.Thread(target=_run, name=f"print-batch-{job.id}", daemon=True,
                              args=(current_app._get_current_object(), job.id, htmls, title))
    _threads[job.id] = thread
    thread.start()
    return job


@writes
def _create_job(session_id: int, kind: str, options: PackOptions, member_ids: list[int],
                actor_id: int) -> PrintJob:
    """The batch's row and its audit rows, once the HTML is built (the lock is held briefly)."""
    _delete_expired()
    job = PrintJob(session_id=session_id, kind=kind, total=len(member_ids),
                   started_by=actor_id, variant=_described(kind, options))
    db.session.add(job)
    db.session.flush()
    _audit(job, member_ids, actor_id)
    db.session.commit()
    return job


def pack_htmls(men: list[CohortMember], options: PackOptions) -> list[str]:
    """Each man's pack as HTML, in his own preferred variant."""
    directories: dict = {}
    htmls = []
    for man in men:
        his_set = set_for(man.id)
        chosen = replace(default_options(man, his_set), with_name=options.with_name,
                         include_unchecked=options.include_unchecked)
        htmls.append(render_html(PACK_TEMPLATE, pack(man, his_set, chosen,
                                                     directories=directories),
                                 title=PACK_TITLE))
    return htmls


def form_htmls(men: list[CohortMember]) -> list[str]:
    """Each man's pre-filled self-referral form as HTML."""
    common = referral_form.questions()
    return [render_html(FORM_TEMPLATE, referral_form.filled_form(man, common), title=FORM_TITLE)
            for man in men]


def _described(kind: str, options: PackOptions) -> str:
    """The organiser's choices, as shown on the batch's page."""
    if kind == "forms":
        return ""
    names = "first names on covers" if options.with_name else "no names"
    unchecked = ("entries that need checking included" if options.include_unchecked
                 else "entries that need checking left out")
    return f"{names}; {unchecked}"


def _audit(job: PrintJob, member_ids: list[int], actor_id: int) -> None:
    """A row for each man whose details go into the batch, and one for the batch."""
    what = "pack" if job.kind == "packs" else "referral_form"
    for member_id in member_ids:
        record(f"{what}.printed", actor_id, "cohort_member", member_id, detail=f"batch {job.id}")
    record("print_batch.started", actor_id, "print_job", job.id, detail=job.kind)


def _run(app, job_id: int, htmls: list[str], title: str) -> None:
    """Render the batch in the workers, then store the PDF (or the failure) on the job."""
    with app.app_context():
        try:
            pdf = render_batch(htmls, title=title, static_folder=app.static_folder,
                               workers=app.config["PRINT_WORKERS"],
                               progress=lambda done: _save(job_id, done=done))
        except Exception:
            log.exception("print batch %s failed", job_id)
            db.session.rollback()
            discard_pool()
            _save(job_id, state="failed", finished_at=utcnow())
        else:
            _save(job_id, state="done", done=len(htmls), pdf=pdf, finished_at=utcnow())
        finally:
            db.session.remove()
            _threads.pop(job_id, None)


@writes
def _save(job_id: int, **values) -> None:
    """Write the job's progress or outcome in a short transaction of its own."""
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id).values(**values))
    db.session.commit()


def wait(job_id: int, timeout: float = 120) -> None:
    """Wait for a batch started by this process to finish (for tests and benchmarks). Ends
    the caller's transaction first: on SQLite it would hold the lock the batch writes with."""
    db.session.close()
    thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)


def stalled(job: PrintJob) -> bool:
    """Whether a batch shown as running has in fact stopped (the server restarted)."""
    return job.state == "running" and utcnow() - job.started_at > STALLED_AFTER


def expired(job: PrintJob) -> bool:
    """Whether a finished batch is past the time it is kept for download."""
    keep = timedelta(minutes=current_app.config["PRINT_BATCH_KEEP_MINUTES"])
    return job.finished_at is not None and utcnow() - job.finished_at > keep


@writes
def purge_expired() -> int:
    """Delete the PDFs of batches past their keeping time (the rows stay, for the record);
    returns how many were deleted."""
    deleted = _delete_expired()
    db.session.commit()
    return deleted


def _delete_expired() -> int:
    """Empty the expired batches' PDFs in the caller's write transaction; how many."""
    keep = timedelta(minutes=current_app.config["PRINT_BATCH_KEEP_MINUTES"])
    result = db.session.execute(update(PrintJob).where(
        PrintJob.finished_at < utcnow() - keep, PrintJob.pdf.is_not(None)).values(pdf=None))
    return result.rowcount


def get_job(session_id: int, public_id: str) -> PrintJob:
    """A batch of this session by its public id, or not_found."""
    job = db.session.scalar(select(PrintJob).where(PrintJob.session_id == session_id,
                                                   PrintJob.public_id == public_id))
    if job is None:
        raise DomainError("not_found", "That batch does not exist")
    return job


def recent_jobs(session_id: int, limit: int = 5) -> list[PrintJob]:
    """The session's newest batches first."""
    return list(db.session.scalars(select(PrintJob).where(PrintJob.session_id == session_id)
                                   .order_by(PrintJob.id.desc()).limit(limit)))


@writes
def download(job: PrintJob, actor_id: int) -> bytes:
    """The finished batch's PDF, audited; refused once it has expired."""
    if job.state != "done" or expired(job) or job.pdf is None:
        raise DomainError("gone", "This batch is no longer kept. Start it again.")
    pdf = job.pdf
    record("print_batch.downloaded", actor_id, "print_job", job.id, detail=job.kind)
    db.session.commit()
    return pdf
