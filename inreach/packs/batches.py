"""Session batches: every man's pack, or every man's pre-filled form, in register order in one
PDF, each starting on a new sheet. Rendered by the workers on the task queue, not the web
process:

- The request records the batch (who, which men, the organiser's choices, audited per man),
  queues one task per chunk of ``CHUNK`` men and returns. If the queue cannot be reached the
  organiser is told and nothing is recorded (or, should it fail between the check and the
  queueing, the batch is marked failed with that reason); nothing waits forever.
- Each chunk task builds its men's documents and renders them to one PDF part; workers take
  chunks in parallel, on one host or several. The task that stores the last part queues the
  join, which puts the parts together in order and keeps the PDF on the batch for
  ``PRINT_BATCH_KEEP_MINUTES``.
- A chunk that raises is retried with back-off, then the batch fails with a reason. A batch
  whose worker died (no progress for ``PRINT_STALLED_SECONDS``) has its missing chunks queued
  once more by the schedule, then fails with a reason. Every task is safe to run twice.
"""

import json
import logging
from dataclasses import replace
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..audit.services import record, record_all
from ..cohorts.models import CohortMember, Person
from ..cohorts.register import register_order, session_of
from ..database import db, end_read, utcnow, writes
from ..errors import DomainError
from ..jobs.queue import QueueUnavailable, enqueue, ensure_reachable, task
from ..printing.parts import CHUNK, join
from ..printing.services import htmls_to_pdf, render_html
from ..privacy.restriction import is_restricted, not_restricted
from ..referrals.services import set_for
from ..visits.models import VisitSession
from . import referral_form
from .content import PackOptions, default_options, pack
from .documents import FORM_TEMPLATE, FORM_TITLE, PACK_TEMPLATE, PACK_TITLE
from .models import KINDS, PrintJob, PrintPart

log = logging.getLogger(__name__)
FAILED_CHUNK = "Printing failed on part of this batch. Start it again; if it fails again, " \
               "tell whoever runs inreach."
STOPPED = "The print worker stopped twice while making this batch. Start it again."


def start(visit_id: int, session_id: int, kind: str, options: PackOptions,
          actor_id: int) -> PrintJob:
    """Record a batch of the session's packs (each in his preferred variant, with the
    organiser's choices on names and entries that need checking) or pre-filled forms, and
    queue its chunks."""
    session = session_of(visit_id, session_id)
    if kind not in KINDS:
        raise DomainError("bad_kind", "Choose packs or forms")
    men = register_order(session.id)
    member_ids = [man.id for man in men if not is_restricted(man.person)]
    if not member_ids:
        raise DomainError("no_men", "Every man in this session is restricted, so there is "
                          "nothing to print" if men else "No men are placed in this session yet")
    ensure_reachable()  # a queue that is down: say so, and record nothing
    job = _create_job(session.id, kind, options, member_ids, actor_id)
    try:
        for number in range(_chunk_count(job)):
            enqueue(render_chunk, job.id, number)
    except QueueUnavailable:
        _fail(job.id, "The print queue could not be reached, so nothing was printed.")
        raise
    return job


@writes
def _create_job(session_id: int, kind: str, options: PackOptions, member_ids: list[int],
                actor_id: int) -> PrintJob:
    """The batch's row and its audit rows, in one short transaction."""
    _delete_expired()
    job = PrintJob(session_id=session_id, kind=kind, total=len(member_ids),
                   members=json.dumps(member_ids), with_name=options.with_name,
                   include_unchecked=options.include_unchecked, started_by=actor_id,
                   variant=_described(kind, options))
    db.session.add(job)
    db.session.flush()
    what = "pack" if kind == "packs" else "referral_form"
    record_all(actor_id, [(f"{what}.printed", "cohort_member", member_id)
                          for member_id in member_ids])
    record("print_batch.started", actor_id, "print_job", job.id, detail=kind)
    db.session.commit()
    return job


def _chunk_count(job: PrintJob) -> int:
    """How many chunks the batch is rendered in."""
    return -(-job.total // CHUNK)


def _described(kind: str, options: PackOptions) -> str:
    """The organiser's choices, as shown on the batch's page."""
    if kind == "forms":
        return ""
    names = "first names on covers" if options.with_name else "no names"
    unchecked = ("entries that need checking included" if options.include_unchecked
                 else "entries that need checking left out")
    return f"{names}; {unchecked}"


# --- the tasks ---------------------------------------------------------------------------------

@task(retries=2, retry_delay=5, retry_backoff=2, context=True)
def render_chunk(job_id: int, number: int, task=None) -> None:
    """Render one chunk of a batch and store it as a part; the last part queues the join."""
    job = db.session.get(PrintJob, job_id)
    if job is None or job.state in ("done", "failed") or _has_part(job_id, number):
        return
    log.info("print batch %s: chunk %s", job_id, number)
    if job.state == "queued":
        _taken(job_id)
    men_ids = json.loads(job.members)[number * CHUNK:(number + 1) * CHUNK]
    try:
        htmls, title = _htmls(job, men_ids), _title(job)
        end_read()  # no connection held while WeasyPrint works
        pdf = htmls_to_pdf(htmls, title=title, static_folder=current_app.static_folder)
    except Exception:
        log.exception("print batch %s: chunk %s failed", job_id, number)
        if task is None or not task.retries:
            _fail(job_id, FAILED_CHUNK)
        raise
    if _store_part(job_id, number, pdf, len(men_ids)):
        enqueue(join_parts, job_id)


@task(retries=2, retry_delay=5, retry_backoff=2, context=True)
def join_parts(job_id: int, task=None) -> None:
    """Join a batch's parts in order into its PDF (once every chunk is stored)."""
    job = db.session.get(PrintJob, job_id)
    if job is None or job.state != "running":
        return
    parts = list(db.session.scalars(select(PrintPart.pdf).where(PrintPart.job_id == job_id)
                                    .order_by(PrintPart.number)))
    title = _title(job)
    end_read()
    if len(parts) != _chunk_count(job):
        return
    try:
        pdf = join(parts, title)
    except Exception:
        log.exception("print batch %s: join failed", job_id)
        if task is None or not task.retries:
            _fail(job_id, FAILED_CHUNK)
        raise
    _finish(job_id, pdf)


def _htmls(job: PrintJob, men_ids: list[int]) -> list[str]:
    """The chunk's documents as HTML, in register order (men since removed, and men restricted
    since the batch started, are left out)."""
    men = {man.id: man for man in db.session.scalars(
        select(CohortMember).join(Person, CohortMember.person_id == Person.id)
        .where(CohortMember.id.in_(men_ids), not_restricted()))}
    ordered = [men[man_id] for man_id in men_ids if man_id in men]
    if job.kind == "forms":
        return form_htmls(ordered)
    return pack_htmls(ordered, PackOptions(with_name=job.with_name,
                                           include_unchecked=job.include_unchecked))


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


def _title(job: PrintJob) -> str:
    """The batch PDF's title: what it holds, the session and the day (no names)."""
    session = db.session.get(VisitSession, job.session_id)
    return f"{KINDS[job.kind]}: {session.label}, {session.visit.date:%d %B %Y}"


def _has_part(job_id: int, number: int) -> bool:
    """Whether this chunk is already stored (a repeat of its task does nothing)."""
    return db.session.scalar(select(PrintPart.id).where(
        PrintPart.job_id == job_id, PrintPart.number == number)) is not None


@writes
def _taken(job_id: int) -> None:
    """A worker has started on the batch: it is running (and its progress clock starts)."""
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id, PrintJob.state == "queued")
                       .values(state="running", progressed_at=utcnow()))
    db.session.commit()


@writes
def _store_part(job_id: int, number: int, pdf: bytes, men: int) -> bool:
    """Keep a rendered chunk and count its men as done; True when it was the last one."""
    job = db.session.scalar(select(PrintJob).where(PrintJob.id == job_id).with_for_update())
    if job is None or job.state in ("done", "failed") or _has_part(job_id, number):
        db.session.rollback()
        return False
    db.session.add(PrintPart(job_id=job_id, number=number, pdf=pdf))
    job.state, job.done, job.progressed_at = "running", min(job.done + men, job.total), utcnow()
    db.session.flush()
    parts = db.session.scalar(select(func.count()).where(PrintPart.job_id == job_id))
    complete = parts == _chunk_count(job)
    db.session.commit()
    return complete


@writes
def _finish(job_id: int, pdf: bytes) -> None:
    """Keep the joined PDF on the batch and let the parts go."""
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id, PrintJob.state == "running")
                       .values(state="done", done=PrintJob.total, pdf=pdf,
                               finished_at=utcnow(), progressed_at=utcnow()))
    db.session.execute(delete(PrintPart).where(PrintPart.job_id == job_id))
    db.session.commit()


@writes
def _fail(job_id: int, reason: str) -> None:
    """Mark a batch failed with a reason people can read; its parts go."""
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id,
                                              PrintJob.state.in_(("queued", "running")))
                       .values(state="failed", reason=reason, finished_at=utcnow()))
    db.session.execute(delete(PrintPart).where(PrintPart.job_id == job_id))
    db.session.commit()


# --- stalled batches (run on a schedule) -------------------------------------------------------

def recover_stalled() -> int:
    """Queue again the missing chunks of batches whose worker stopped (no progress for
    ``PRINT_STALLED_SECONDS``), once; fail those already retried. Returns how many it saw."""
    stalled = list(db.session.scalars(select(PrintJob.id).where(
        PrintJob.state == "running", PrintJob.progressed_at < _stalled_before())))
    end_read()
    for job_id in stalled:
        missing = _retry(job_id)
        for number in missing or ():
            enqueue(render_chunk, job_id, number)
        if missing == []:
            enqueue(join_parts, job_id)
    return len(stalled)


def _stalled_before():
    """Progress older than this means the batch's worker stopped."""
    return utcnow() - timedelta(seconds=current_app.config["PRINT_STALLED_SECONDS"])


@writes
def _retry(job_id: int) -> list[int] | None:
    """The chunks still missing of a stalled batch, counting one more attempt; None if it has
    moved meanwhile (someone else retried it), or if it was retried before and now fails."""
    job = db.session.scalar(select(PrintJob).where(PrintJob.id == job_id).with_for_update())
    if job.state != "running" or job.progressed_at >= _stalled_before():
        db.session.rollback()
        return None
    if job.attempts >= 2:
        db.session.rollback()
        _fail(job_id, STOPPED)
        return None
    stored = set(db.session.scalars(select(PrintPart.number).where(PrintPart.job_id == job_id)))
    job.attempts, job.progressed_at = job.attempts + 1, utcnow()
    db.session.commit()
    log.info("print batch %s: queued again", job_id)
    return [number for number in range(_chunk_count(job)) if number not in stored]


# --- reading and keeping -----------------------------------------------------------------------

def waiting_seconds(job: PrintJob) -> int | None:
    """How long a queued batch has waited for a worker to take it, or None if one has."""
    if job.state != "queued":
        return None
    return int((utcnow() - job.started_at).total_seconds())


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
