"""The receiving team answers a referral through its link, without an account.

- What they see: the form reference, the service and the visit date, and the answer so far;
  never his name or prison number.
- What they may record: accepted, declined (with a reason), could not contact, or first
  contact, each with its day, through ``services.change_status`` as "receiving service, by
  link" (no user), so every status rule and the event history apply as for organisers.
- How long: a link works until it expires (REFERRAL_LINK_DAYS), until a newer link replaces
  it, and for REFERRAL_LINK_CORRECTION_DAYS after its first answer (time to correct it); only
  while the referral is sent or answered (never made, not shared or closed).
- Abuse: a link that does not open counts against the client's address (a keyed hash, never
  the address); after LINK_MAX_FAILURES inside LINK_WINDOW_MINUTES that address is refused
  before anything is looked up. A link takes at most MAX_CHANGES_PER_DAY answers a day.
- Audit: each open and each refused open is an audit row with no user; each answer is the
  "referral.status" row that ``change_status`` writes.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from .. import security
from ..audit.services import record
from ..database import db, utcnow, writes
from ..dates import local
from ..directory.models import Service
from ..errors import DomainError
from ..referrals.models import Referral
from .links import token_hash
from .models import LinkFailure, ReferralEvent, ReferralLink
from .rules import Change
from .services import By, change_status, facts_query
from .vocabulary import ANSWERS, NEXT

# Where a referral must stand for its link to work: sent, or answered since.
ANSWERABLE = ("sent", "accepted", "declined", "no_contact", "first_contact")
# What the link may record, in the order the page offers them.
LINK_ANSWERS = (*ANSWERS, "first_contact")
# A leaked link cannot flood the referral's history.
MAX_CHANGES_PER_DAY = 20
BY_LINK = By(None, "link")

CLOSED = "This link does not work any more"
TOO_MANY_TRIES = "Too many links that do not work were tried from this address"
TOO_MANY_CHANGES = ("This answer has been changed too many times today. Try again tomorrow, "
                    "or tell the team who sent the referral.")


@dataclass(frozen=True)
class LinkedReferral:
    """All the link shows: which referral (by form reference, service and visit date), its
    answer so far, what may still be recorded and until when."""

    reference: str
    service: str
    visit_date: date
    status: str
    answered_on: date | None
    first_contact_on: date | None
    choices: tuple[str, ...]  # the answers it may still take; empty when none
    correct_until: datetime | None  # when corrections end (None before the first answer)

    @property
    def can_change(self) -> bool:
        """Whether the link may still record anything."""
        return bool(self.choices)


def client_key(address: str | None) -> str:
    """The keyed hash of the client's address (``security.client_key``) that counts its
    failed link attempts without keeping the address."""
    return security.client_key("referral-link", address)


@writes
def open_link(token: str, client: str) -> LinkedReferral:
    """What the link shows, audited as opened by the receiving service; refused (and counted
    against the client) when the link does not work."""
    link, row = _working_link(token, client)
    record("referral_link.opened", None, "referral", link.referral_id)
    db.session.commit()
    return _shown(link, *row)


@writes
def answer(token: str, client: str, status: str, on: date | None, reason: str = "",
           reason_other: str = "") -> None:
    """Record the receiving service's answer through its link (a reason only when declined);
    the first answer starts the correction time."""
    link, (referral, *_) = _working_link(token, client)
    if status not in LINK_ANSWERS:  # the rules explain a move this referral cannot make
        raise DomainError("bad_answer", "Choose what happened", "status")
    _refuse_flood(referral.id)
    if status != "declined":
        reason, reason_other = "", ""
    change = Change(status, on, reason or "", reason_other or "")
    if link.first_answer_at is None:
        link.first_answer_at = utcnow()
    change_status([referral.id], change, BY_LINK)


def _working_link(token: str, client: str) -> tuple[ReferralLink, tuple]:
    """The link and its referral's facts (referral, reference, visit date, service name), or a
    refusal: too many failures from this client (nothing looked up), or a link that does not
    work (the failure committed, one message whatever the reason)."""
    now = utcnow()
    if _recent_failures(client, now) >= current_app.config["LINK_MAX_FAILURES"]:
        raise DomainError("too_many_tries", TOO_MANY_TRIES)
    link = db.session.scalar(select(ReferralLink).where(
        ReferralLink.token_hash == token_hash(token)).with_for_update())
    row = None
    if link is not None:
        row = db.session.execute(
            facts_query([link.referral_id]).add_columns(Service.name)
            .join(Service, Referral.service_id == Service.id)).one()
    why = _closed_because(link, row, now)
    if why:
        _count_failure(client, now, link, why)
        raise DomainError("link_closed", CLOSED)
    return link, tuple(row)


def _closed_because(link: ReferralLink | None, row, now: datetime) -> str | None:
    """Why the link does not work (a code for the audit trail, never shown), or None."""
    if link is None:
        return "unknown"
    if link.replaced_at is not None:
        return "replaced"
    if link.expires_at <= now:
        return "expired"
    if link.first_answer_at and now > _corrections_end(link):
        return "corrections_over"
    if row[0].status not in ANSWERABLE:
        return "status"
    return None


def _corrections_end(link: ReferralLink) -> datetime:
    days = current_app.config["REFERRAL_LINK_CORRECTION_DAYS"]
    return link.first_answer_at + timedelta(days=days)


def _recent_failures(client: str, now: datetime) -> int:
    """How many links that did not work this client tried inside the window."""
    return db.session.scalar(select(func.count()).where(
        LinkFailure.client_key == client, LinkFailure.attempted_at > _window_start(now)))


def _window_start(now: datetime) -> datetime:
    return now - timedelta(minutes=current_app.config["LINK_WINDOW_MINUTES"])


def _count_failure(client: str, now: datetime, link: ReferralLink | None, why: str) -> None:
    """Keep the failure (pruning those too old to count), audit it and commit, so the refusal
    that follows cannot roll it back."""
    db.session.execute(delete(LinkFailure).where(LinkFailure.attempted_at <= _window_start(now)))
    db.session.add(LinkFailure(client_key=client, attempted_at=now))
    record("referral_link.refused", None, "referral" if link else None,
           link.referral_id if link else None, detail=why)
    db.session.commit()


def _refuse_flood(referral_id: int) -> None:
    """At most MAX_CHANGES_PER_DAY answers by link a day for one referral."""
    since = utcnow() - timedelta(days=1)
    changes = db.session.scalar(select(func.count()).where(
        ReferralEvent.referral_id == referral_id, ReferralEvent.how == "link",
        ReferralEvent.recorded_at > since))
    if changes >= MAX_CHANGES_PER_DAY:
        raise DomainError("too_many_changes", TOO_MANY_CHANGES, "status")


def _choices(status: str) -> tuple[str, ...]:
    """The answers a referral standing at this status may still take by link."""
    return tuple(answer for answer in LINK_ANSWERS if answer in NEXT[status])


def _shown(link: ReferralLink, referral: Referral, reference: str, visit_date: date,
           service: str) -> LinkedReferral:
    return LinkedReferral(
        reference=reference, service=service, visit_date=visit_date, status=referral.status,
        answered_on=referral.answered_on, first_contact_on=referral.first_contact_on,
        choices=_choices(referral.status),
        correct_until=local(_corrections_end(link)) if link.first_answer_at else None)
