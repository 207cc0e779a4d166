"""The retention purge: removing a man's personal data when its time is up (the periods and
the date they count from are in inreach.privacy.retention), or at once when he asks
(``erase_person``, through the same path).

What "removed" means:
- De-identifying a man blanks his names, prison number (replaced by ``~`` and his row id in
  base 36, which no real prison number can look like), date of birth, release date, cell
  location, release area, interests, interpreter language, notes and restriction reason; on
  each referral set taken with him, the phone number, probation officer and contact, release
  area, language and notes; the "other" reasons typed for his referrals and their status
  changes; the history of changes to his referral sets and the submission records (their
  hashes were made from his details); his keep-apart pairs; the PDF of any print batch he is
  in, and any email in the outbox folder that names his form reference. His row is marked
  ``purged_at``.
- Clearing his notes (sooner) blanks only the free text: the notes, the "other" reasons and the
  history of changes.
- The rows stay, blanked, so every report figure is the same before and after
  (inreach.reports.figures reads none of the removed columns). Audit rows stay: they hold ids.

Men are done in small batches (``BATCH``), each in its own short write transaction; a file
is deleted only after the transaction that removed the rows has committed. Each run is audited
with its counts only.
"""

import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import case, delete, func, or_, select, union, update

from ..accounts.services import Actor
from ..audit.services import record
from ..cohorts.models import CohortMember, KeepApart, Person
from ..database import db, end_read, utcnow, writes
from ..errors import DomainError
from ..followup.mail import outbox_dir
from ..followup.models import ReferralEvent
from ..packs.models import PrintJob, PrintPart
from ..referrals.models import Referral, ReferralSet, SetChange, Submission
from ..visits.models import Visit
from .reasons import check_reason
from .retention import OPEN_STATUSES, Periods, counted_from, months_before, periods

ENDED = ("closed", "declined", "no_contact")  # referrals finished, with the day they ended
# A form reference as the referral emails list it ("  ABC234: link") or a chase names it
# ("referral ABC234").
REFERENCE = re.compile(r"^\s*([0-9A-Z]{6,8}):|\breferral ([0-9A-Z]{6,8})\b", re.MULTILINE)
CHUNK = 500  # ids per IN (...) list
BATCH = 50  # men per write transaction: short enough not to hold up the tablets
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counts:
    """What a purge removes (or removed), by kind; no names."""

    men: int = 0  # men de-identified
    notes: int = 0  # men whose free-text notes are cleared (details kept for now)
    batch_pdfs: int = 0  # stored print-batch PDFs deleted
    emails: int = 0  # .eml files deleted from the outbox folder
    kept_open: int = 0  # men past their time, kept because a referral is still open

    @property
    def files(self) -> int:
        """Stored files of every kind."""
        return self.batch_pdfs + self.emails

    def describe(self) -> str:
        """The counts in one line, for the command and the audit trail."""
        return (f"men de-identified {self.men}, notes cleared {self.notes}, "
                f"batch PDFs {self.batch_pdfs}, emails {self.emails}, "
                f"kept by an open referral {self.kept_open}")


@dataclass(frozen=True)
class Plan:
    """The men the next purge touches (ids), and the stored files about them."""

    de_identify_ids: list[int]  # men whose details go
    clear_notes_ids: list[int]  # men whose notes go (details kept for now)
    kept_open: int
    batch_pdfs: int
    emails: int

    def counts(self) -> Counts:
        """The plan as counts."""
        return Counts(len(self.de_identify_ids), len(self.clear_notes_ids), self.batch_pdfs,
                      self.emails, self.kept_open)


# --- erasing one man now ------------------------------------------------------------------

def erase_person(person_id: int, reason: str, actor: Actor) -> Counts:
    """Erase one man now, whatever his periods (his right to erasure), through the purge's own
    path; audited with the reason's code (inreach.privacy.reasons). Refuses a reason not on the
    list, an unknown man and one already erased (checked again inside the write)."""
    reason = check_reason("erase", reason)
    purged_at = db.session.scalar(select(Person.purged_at).where(Person.id == person_id))
    if purged_at is not None:
        raise DomainError("already_erased", "His details have already been erased")
    if not db.session.scalar(select(func.count()).where(Person.id == person_id)):
        raise DomainError("not_found", "That person does not exist")
    emails = _emails_by_reference()
    paths = _emails_about([person_id], emails)
    pdfs = _de_identify([person_id], actor.id, "person.erased", f"reason={reason}")
    if pdfs is None:  # erased by someone else meanwhile
        raise DomainError("already_erased", "His details have already been erased")
    deleted = _delete_emails(paths)
    return Counts(men=1, batch_pdfs=pdfs, emails=deleted)


# --- planning -----------------------------------------------------------------------------

def plan(today: date | None = None) -> Plan:
    """Who the next purge touches, and how many stored files go with them (reads only)."""
    today = today or utcnow().date()
    chosen = periods()
    # Due when his day is on or before today less the period: never adding to his own date,
    # which may be a far-future mistake like 9999-12-01 (at a month's end, a day or two later
    # than adding would say, never sooner).
    identity_due = months_before(today, chosen.identity_months)
    notes_due = months_before(today, chosen.notes_months)
    identity, notes, kept = [], [], 0
    for person_id, start, still_open in _men_not_purged():
        if start is None:
            continue
        if still_open:
            kept += start <= notes_due
        elif start <= identity_due:
            identity.append(person_id)
        elif start <= notes_due:
            notes.append(person_id)
    notes = sorted(_with_notes(notes))
    pdfs = len(_batches_with(_member_ids(identity)))
    emails = len(_emails_about(identity, _emails_by_reference()))
    return Plan(identity, notes, kept, pdfs, emails)


def _men_not_purged() -> list[tuple[int, date | None, bool]]:
    """Each man not yet purged: (id, the day his periods count from, any referral open)."""
    ended = case((Referral.status.in_(ENDED),
                  func.coalesce(Referral.closed_on, Referral.answered_on)))
    still_open = func.max(case((Referral.status.in_(OPEN_STATUSES), 1), else_=0))
    rows = db.session.execute(
        select(Person.id, Person.release_date, Person.created_at, func.max(Visit.date),
               func.max(ended), still_open)
        .outerjoin(CohortMember, CohortMember.person_id == Person.id)
        .outerjoin(Visit, Visit.id == CohortMember.visit_id)
        .outerjoin(ReferralSet, ReferralSet.member_id == CohortMember.id)
        .outerjoin(Referral, Referral.set_id == ReferralSet.id)
        .where(Person.purged_at.is_(None))
        .group_by(Person.id, Person.release_date, Person.created_at)
        .order_by(Person.id)).all()
    return [(person_id, counted_from(release, last_visit or created.date(), referral_end),
             bool(is_open))
            for person_id, release, created, last_visit, referral_end, is_open in rows]


def _chunks(ids: list[int], size: int = CHUNK):
    """The ids in slices short enough for one IN (...) list."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _with_notes(person_ids: list[int]) -> set[int]:
    """Those of these men with any free text still held about them."""
    found: set[int] = set()
    for ids in _chunks(person_ids):
        sets = (select(CohortMember.person_id, ReferralSet.id.label("set_id"))
                .join(ReferralSet, ReferralSet.member_id == CohortMember.id)
                .where(CohortMember.person_id.in_(ids)).subquery())
        referrals = (select(sets.c.person_id, Referral.id.label("referral_id"))
                     .join(Referral, Referral.set_id == sets.c.set_id).subquery())
        query = union(
            select(Person.id).where(Person.id.in_(ids), Person.notes != ""),
            select(sets.c.person_id).join(ReferralSet, ReferralSet.id == sets.c.set_id)
            .where(ReferralSet.notes != ""),
            select(sets.c.person_id).join(SetChange, SetChange.set_id == sets.c.set_id),
            select(referrals.c.person_id).join(Referral, Referral.id == referrals.c.referral_id)
            .where(Referral.reason_other != ""),
            select(referrals.c.person_id)
            .join(ReferralEvent, ReferralEvent.referral_id == referrals.c.referral_id)
            .where(ReferralEvent.reason_other != ""))
        found.update(db.session.scalars(query))
    return found


def _member_ids(person_ids: list[int]) -> set[int]:
    """The cohort-member ids of these men (print batches list members)."""
    members: set[int] = set()
    for ids in _chunks(person_ids):
        members.update(db.session.scalars(
            select(CohortMember.id).where(CohortMember.person_id.in_(ids))))
    return members


def _batches_with(member_ids: set[int]) -> list[int]:
    """Print batches still holding a PDF (or its parts) with any of these members in it."""
    if not member_ids:
        return []
    has_parts = select(PrintPart.id).where(PrintPart.job_id == PrintJob.id).exists()
    jobs = db.session.execute(select(PrintJob.id, PrintJob.members)
                              .where(or_(PrintJob.pdf.is_not(None), has_parts))).all()
    return [job_id for job_id, members in jobs if member_ids & set(json.loads(members))]


# --- the outbox folder --------------------------------------------------------------------

def _emails_by_reference() -> dict[str, set[Path]]:
    """Each form reference named in an .eml file of the outbox folder, and its files."""
    found: dict[str, set[Path]] = {}
    folder = outbox_dir()
    if not folder.is_dir():
        return found
    for path in folder.glob("*.eml"):
        for reference in _references_in(path):
            found.setdefault(reference, set()).add(path)
    return found


def _references_in(path: Path) -> set[str]:
    """The form references an email names, in its subject or its text."""
    try:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = str(message["Subject"] or "") + "\n" + (body.get_content() if body else "")
    except (OSError, ValueError, LookupError):
        return set()
    return {listed or named for listed, named in REFERENCE.findall(text)}


def _emails_about(person_ids: list[int], emails: dict[str, set[Path]]) -> set[Path]:
    """The outbox emails naming any of these men's form references."""
    if not emails:
        return set()
    paths: set[Path] = set()
    for ids in _chunks(person_ids):
        for reference in db.session.scalars(
                select(CohortMember.form_reference).where(CohortMember.person_id.in_(ids))):
            paths |= emails.get(reference, set())
    return paths


def _delete_emails(paths: set[Path]) -> int:
    """Delete these files (already gone counts as done); how many were deleted. A file that
    cannot be deleted (permissions, a busy disk) is logged by its folder only and left: every
    later run looks for emails naming purged men again (``_leftover_emails``)."""
    deleted = 0
    for path in paths:
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("purge: an outbox email in %s could not be deleted (%s); the next run "
                        "tries again", path.parent, error.strerror or type(error).__name__)
    return deleted


def _leftover_emails(emails: dict[str, set[Path]]) -> set[Path]:
    """Outbox emails still naming men already purged (a delete that failed on an earlier
    run)."""
    if not emails:
        return set()
    references = set(db.session.scalars(
        select(CohortMember.form_reference).join(Person, CohortMember.person_id == Person.id)
        .where(Person.purged_at.is_not(None), CohortMember.form_reference.in_(list(emails)))))
    return {path for reference in references for path in emails[reference]}


# --- removing -----------------------------------------------------------------------------

def placeholder_prison_number(person_id: int) -> str:
    """What replaces a purged man's prison number: unique, 7 characters, and starting with
    ``~`` so it can never be mistaken for (or match the pattern of) a real one."""
    digits, value = "", person_id
    while True:
        value, digit = divmod(value, 36)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit] + digits
        if not value:
            return "~" + digits.rjust(6, "0")


@writes
def _de_identify(person_ids: list[int], actor_id: int | None, action: str,
                 detail: str | None = None) -> int | None:
    """Remove these men's identifying details, contacts and notes, keep their blanked rows,
    delete the batch PDFs they are in; one audit row per man. Men purged meanwhile (another
    erasure or run) are skipped: checked here, inside the write, with their rows locked.
    Returns how many batch PDFs were deleted, or None when every man was already purged."""
    now = utcnow()
    person_ids = list(db.session.scalars(
        select(Person.id).where(Person.id.in_(person_ids), Person.purged_at.is_(None))
        .order_by(Person.id).with_for_update()))
    if not person_ids:
        db.session.rollback()
        return None
    member_ids = _member_ids(person_ids)
    jobs = _batches_with(member_ids)
    db.session.execute(update(Person), [dict(
        id=person_id, first_name="", last_name="",
        prison_number=placeholder_prison_number(person_id), date_of_birth=None,
        release_date=None, location="", release_area="", interests="", interpreter_language="",
        notes="", restricted_reason="", purged_at=now) for person_id in person_ids])
    set_ids = select(ReferralSet.id).where(ReferralSet.member_id.in_(member_ids))
    db.session.execute(update(ReferralSet).where(ReferralSet.member_id.in_(member_ids)).values(
        phone="", safe_message=None, contact_by="", probation_name="", probation_contact="",
        release_area="", language=""))
    db.session.execute(delete(Submission).where(Submission.set_id.in_(set_ids)))
    _clear_free_text(set_ids)
    db.session.execute(update(Referral).where(Referral.set_id.in_(set_ids))
                       .values(send_problem=""))
    db.session.execute(delete(KeepApart).where(
        or_(KeepApart.first_id.in_(person_ids), KeepApart.second_id.in_(person_ids))))
    if jobs:
        db.session.execute(delete(PrintPart).where(PrintPart.job_id.in_(jobs)))
        db.session.execute(update(PrintJob).where(PrintJob.id.in_(jobs)).values(pdf=None))
    for person_id in person_ids:
        record(action, actor_id=actor_id, object_type="person", object_id=person_id,
               detail=detail)
    db.session.commit()
    return len(jobs)


def _clear_free_text(set_ids) -> None:
    """Blank the free text of these referral sets: notes, "other" reasons, change history."""
    referral_ids = select(Referral.id).where(Referral.set_id.in_(set_ids))
    db.session.execute(update(ReferralSet).where(ReferralSet.id.in_(set_ids)).values(notes=""))
    db.session.execute(update(Referral).where(Referral.set_id.in_(set_ids))
                       .values(reason_other=""))
    db.session.execute(update(ReferralEvent).where(ReferralEvent.referral_id.in_(referral_ids))
                       .values(reason_other=""))
    db.session.execute(delete(SetChange).where(SetChange.set_id.in_(set_ids)))


@writes
def _clear_notes(person_ids: list[int]) -> None:
    """Clear these men's free-text notes (their details stay until their own time); one audit
    row per man."""
    db.session.execute(update(Person).where(Person.id.in_(person_ids)).values(notes=""))
    _clear_free_text(select(ReferralSet.id).join(CohortMember,
                                                 CohortMember.id == ReferralSet.member_id)
                     .where(CohortMember.person_id.in_(person_ids)))
    for person_id in person_ids:
        record("person.notes_cleared", object_type="person", object_id=person_id)
    db.session.commit()


# --- a whole run ----------------------------------------------------------------------------

def run(dry_run: bool, today: date | None = None) -> Counts:
    """The purge as it stands today: with ``dry_run`` only the counts (nothing changes),
    otherwise each man in his own write, then the run's counts in the audit trail."""
    planned = plan(today)
    if dry_run:
        end_read()
        return planned.counts()
    emails = _emails_by_reference()
    end_read()
    pdfs = deleted = 0
    for batch in _chunks(planned.de_identify_ids, BATCH):
        paths = _emails_about(batch, emails)  # read before the write begins
        pdfs += _de_identify(batch, None, "person.purged") or 0
        deleted += _delete_emails(paths)
        for files in emails.values():
            files -= paths
    deleted += _delete_emails(_leftover_emails(emails))
    end_read()
    for batch in _chunks(planned.clear_notes_ids, BATCH):
        _clear_notes(batch)
    done = Counts(len(planned.de_identify_ids), len(planned.clear_notes_ids), pdfs, deleted,
                  planned.kept_open)
    _record_run(done)
    return done


@writes
def _record_run(counts: Counts) -> None:
    """The run in the audit trail: counts only."""
    record("retention.purge_run", detail=counts.describe())
    db.session.commit()


def run_nightly() -> Counts:
    """The nightly purge the task queue's schedule runs: ``run`` for real, for today."""
    return run(dry_run=False)


def preview(today: date | None = None) -> tuple[Periods, Counts]:
    """The periods in force and what the next purge would remove, for the retention page."""
    chosen = periods()
    counts = plan(today).counts()
    end_read()
    return chosen, counts
