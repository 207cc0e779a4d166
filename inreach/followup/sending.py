"""Sending referrals to their services: by secure email on the task queue, or marked as sent
another way; and chasing a service that has not answered.

- Only referrals with consent, still "made", are ever sent; a service without an email route
  cannot be emailed, only marked sent another way.
- Exactly once: "Send by secure email" carries a key made when the page was shown. The first
  request with it records a ``Dispatch`` (queued) and points its referrals at it, so no other
  send takes them; the same key again finds that dispatch and sends nothing new.
- The task issues each referral's answer link (only their hashes are stored, so links are made
  where the email is made), builds the email and hands it to the mail server. Only when the
  server has accepted it are the referrals marked sent (by whoever asked). A server that is
  down or busy: "sending failed: reason" on the referrals and the task is retried with
  back-off; after the last try, or at once when the server refuses for good (5xx, login), the
  dispatch fails with its reason and the referrals stay "made", free to be sent again.
- A chase sends one referral's form reference with a fresh link (no name, no PDF), with the
  same retries and failure handling.
Logs and audit rows carry ids only.
"""

import json
import logging
import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..audit.services import record, record_all
from ..cohorts.models import CohortMember, Person
from ..database import db, end_read, utcnow, writes
from ..dates import today
from ..directory.models import Service
from ..errors import DomainError
from ..jobs.queue import QueueUnavailable, enqueue, ensure_reachable, task
from ..privacy.restriction import not_restricted
from ..referrals.models import Referral, ReferralSet
from . import handoff, mail
from .links import issue_links, link_url
from .models import Dispatch
from .rules import Change
from .services import By, change_status

log = logging.getLogger(__name__)
KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
RETRIES, RETRY_DELAY, RETRY_BACKOFF = 5, 60, 3  # tries after 1, 3, 9, 27 and 81 minutes
OTHER_WAYS = ("phone", "portal", "post")
CHASEABLE = ("sent", "accepted")  # waiting for an answer, or for a first contact
QUEUE_DOWN = "the task queue could not be reached"
# Retries end about two hours after the request; a dispatch still queued after this is stalled.
STALLED_HOURS = 3
STOPPED = "the sending stopped before the email went; send it again"


def new_key() -> str:
    """A key for one "Send by secure email" button, made when the page is shown."""
    return secrets.token_urlsafe(24)


# --- send by secure email ----------------------------------------------------------------------

def send_by_email(visit_id: int, service_id: int, key: str, actor_id: int) -> tuple[Dispatch,
                                                                                     bool]:
    """Queue one email carrying the service's unsent referrals from the visit; returns the
    dispatch and whether this key had already queued it (then nothing new is sent)."""
    if not KEY.fullmatch(key or ""):
        raise DomainError("bad_key", "This page is out of date. Reload it and send again.")
    earlier = _by_key(key, visit_id, service_id)
    if earlier is not None:
        return earlier, True
    service = _emailable(service_id)
    ensure_reachable()  # a queue that is down: say so, and record nothing
    try:
        dispatch = _create_dispatch(visit_id, service, key, actor_id)
    except (IntegrityError, DomainError):
        earlier = _by_key(key, visit_id, service_id)  # a second click won the race
        if earlier is None:
            raise
        return earlier, True
    try:
        enqueue(send_dispatch, dispatch.id)
    except QueueUnavailable:
        _record_problem(QUEUE_DOWN, dispatch_id=dispatch.id, last=True, attempted=False)
        raise
    return dispatch, False


def _by_key(key: str, visit_id: int, service_id: int) -> Dispatch | None:
    """The dispatch this key made, if any; a key made for another service is refused."""
    dispatch = db.session.scalar(select(Dispatch).where(Dispatch.key == key))
    if dispatch is not None and (dispatch.visit_id, dispatch.service_id) != (visit_id,
                                                                            service_id):
        raise DomainError("bad_key", "This page is out of date. Reload it and send again.")
    return dispatch


def _emailable(service_id: int) -> Service:
    """The service, if referrals reach it by secure email."""
    service = db.session.get(Service, service_id)
    if service is None:
        raise DomainError("not_found", "That service does not exist")
    if service.referral_route != "email" or not service.referral_email:
        raise DomainError("no_email_route", f"{service.name} has no secure email address for "
                          "referrals in the directory, so inreach cannot email it. Send the "
                          "referrals its way and mark them as sent.")
    return service


def _sendable(visit_id: int, service_id: int):
    """The ids of the service's referrals from the visit that may be sent now: consented,
    made, and not on their way by email already, of men whose processing is not restricted
    (inreach.privacy.restriction); by his name."""
    return (select(Referral.id)
            .join(ReferralSet, Referral.set_id == ReferralSet.id)
            .join(CohortMember, ReferralSet.member_id == CohortMember.id)
            .join(Person, CohortMember.person_id == Person.id)
            .where(CohortMember.visit_id == visit_id, Referral.service_id == service_id,
                   Referral.consent.is_(True), Referral.status == "made",
                   Referral.dispatch_id.is_(None), not_restricted())
            .order_by(Person.last_name, Person.first_name, Referral.id))


def _nothing_to_send(field: str | None = None) -> DomainError:
    return DomainError("nothing_to_send", "There is nothing left to send to this service: "
                       "every referral to it is sent or on its way.", field)


@writes
def _create_dispatch(visit_id: int, service: Service, key: str, actor_id: int) -> Dispatch:
    """Record the email and point its referrals at it, audited, in one short write."""
    ids = list(db.session.scalars(_sendable(visit_id, service.id)
                                  .with_for_update(of=Referral)))
    if not ids:
        raise _nothing_to_send()
    dispatch = Dispatch(key=key, visit_id=visit_id, service_id=service.id,
                        to_address=service.referral_email, referral_ids=json.dumps(ids),
                        requested_by=actor_id)
    db.session.add(dispatch)
    db.session.flush()
    db.session.execute(update(Referral).where(Referral.id.in_(ids))
                       .values(dispatch_id=dispatch.id, send_problem=""))
    record("dispatch.queued", actor_id, "dispatch", dispatch.id)
    record_all(actor_id, [("referral.send_queued", "referral", referral_id)
                          for referral_id in ids])
    db.session.commit()
    return dispatch


@task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=RETRY_BACKOFF, context=True)
def send_dispatch(dispatch_id: int, task=None) -> None:
    """Email a queued dispatch's referrals to their service; safe to run again."""
    message = _prepared(_dispatch_email, dispatch_id, task, dispatch_id=dispatch_id)
    if message is not None and _deliver(message, task, dispatch_id=dispatch_id):
        _dispatch_sent(dispatch_id)


def _dispatch_email(dispatch_id: int):
    """The email for a queued dispatch, with fresh links; None when there is nothing to send."""
    tokens = _dispatch_links(dispatch_id)
    if not tokens:
        return None
    dispatch = db.session.get(Dispatch, dispatch_id)
    found, service = handoff.service_referrals(dispatch.visit_id, dispatch.service_id,
                                               list(tokens))
    to, urls = dispatch.to_address, _urls(tokens)
    end_read()  # no connection held while the PDF is made and the server answers
    links = [(referral.reference, urls[referral.referral_id]) for referral in service.referrals]
    return mail.referrals_email(to, service.name, found.prison_name, found.visit_date, links,
                                service.answer_days, handoff.referral_pdf(found, service))


@writes
def _dispatch_links(dispatch_id: int) -> dict[int, str]:
    """Fresh answer links for the dispatch's referrals still waiting on it; none (and the
    dispatch failed) when they were all sent another way meanwhile."""
    dispatch = db.session.get(Dispatch, dispatch_id, with_for_update=True)
    if dispatch is None or dispatch.state != "queued":
        db.session.rollback()
        return {}
    _release_restricted(dispatch_id)
    waiting = list(db.session.scalars(select(Referral.id).where(
        Referral.dispatch_id == dispatch_id, Referral.status == "made",
        Referral.consent.is_(True))))
    if not waiting:
        dispatch.state, dispatch.reason = "failed", "Nothing was left to send."
        db.session.commit()
        return {}
    tokens = issue_links(waiting)
    db.session.commit()
    return tokens


def _release_restricted(dispatch_id: int) -> None:
    """Take the referrals of men restricted since the email was queued off it: they get no
    link and are not marked sent (inreach.privacy.rights does this too when it restricts)."""
    restricted = (select(Referral.id)
                  .join(ReferralSet, Referral.set_id == ReferralSet.id)
                  .join(CohortMember, ReferralSet.member_id == CohortMember.id)
                  .join(Person, CohortMember.person_id == Person.id)
                  .where(Referral.dispatch_id == dispatch_id, ~not_restricted()))
    db.session.execute(update(Referral).where(Referral.id.in_(restricted))
                       .values(dispatch_id=None))


def _urls(tokens: dict[int, str]) -> dict[int, str]:
    """Each link's full address."""
    return {referral_id: link_url(token) for referral_id, token in tokens.items()}


@writes
def _dispatch_sent(dispatch_id: int) -> None:
    """The server accepted the email: the dispatch is sent and its referrals that are still
    made become sent by email, by whoever asked, in one write."""
    dispatch = db.session.get(Dispatch, dispatch_id, with_for_update=True)
    if dispatch is None or dispatch.state != "queued":
        db.session.rollback()
        return
    still_made = list(db.session.scalars(select(Referral.id).where(
        Referral.dispatch_id == dispatch_id, Referral.status == "made")))
    dispatch.state, dispatch.sent_at, dispatch.reason = "sent", utcnow(), ""
    dispatch.attempts += 1
    db.session.execute(update(Referral).where(Referral.dispatch_id == dispatch_id)
                       .values(dispatch_id=None, send_problem=""))
    record("dispatch.sent", None, "dispatch", dispatch_id)
    if still_made:
        change_status(still_made, Change("sent", today(), sent_how="email"),
                      By(dispatch.requested_by))  # commits the whole write
    else:
        db.session.commit()
    log.info("dispatch %s sent", dispatch_id)


@writes
def _record_problem(reason: str, *, dispatch_id: int | None = None,
                    referral_ids: list[int] | None = None, last: bool,
                    attempted: bool = True) -> None:
    """Say on the referrals why sending failed. A dispatch counts the try; after its last one
    it fails and lets its referrals go (still made, free to be sent again)."""
    problem = f"sending failed: {reason}"[:300]
    if dispatch_id is None:
        db.session.execute(update(Referral).where(Referral.id.in_(referral_ids or []))
                           .values(send_problem=problem))
        db.session.commit()
        return
    values = {"send_problem": problem, **({"dispatch_id": None} if last else {})}
    db.session.execute(update(Referral).where(Referral.dispatch_id == dispatch_id)
                       .values(**values))
    dispatch = db.session.get(Dispatch, dispatch_id)
    dispatch.attempts += 1 if attempted else 0
    if last:
        dispatch.state, dispatch.reason = "failed", problem
        record("dispatch.failed", None, "dispatch", dispatch_id)
    db.session.commit()


def _prepared(make, subject_id: int, task, **where):
    """The email ``make`` builds, or None. Should building it fail (a bug, a database gone), the
    task is retried; after its last try the failure is recorded like a send that failed."""
    try:
        return make(subject_id)
    except Exception:
        log.exception("email for %s %s could not be prepared", make.__name__, subject_id)
        if _last_try(task):
            _record_problem("inreach could not prepare the email", last=True, **where)
        raise


def _deliver(message, task, **where) -> bool:
    """Hand the email over; whether the server took it. On a failure, record why: a refusal
    for good is final at once; otherwise the task raises so it is tried again later."""
    try:
        mail.send(message)
    except mail.SendFailure as failure:
        last = failure.permanent or _last_try(task)
        _record_problem(failure.reason, last=last, **where)
        log.warning("email for %s failed (%s): %s", where,
                    "given up" if last else "to be retried", failure.reason)
        if failure.permanent:
            return False
        raise
    return True


def fail_stalled() -> int:
    """Dispatches still queued long after their last retry was due had their worker stop (or
    their task lost): each fails with that reason, so its referrals can be sent again. Returns
    how many."""
    since = utcnow() - timedelta(hours=STALLED_HOURS)
    stalled = list(db.session.scalars(select(Dispatch.id).where(
        Dispatch.state == "queued", Dispatch.requested_at < since)))
    for dispatch_id in stalled:
        _record_problem(STOPPED, dispatch_id=dispatch_id, last=True, attempted=False)
    return len(stalled)


def _last_try(task) -> bool:
    """Whether this run of a task has no retries left (or runs outside the queue)."""
    return task is None or not task.retries


# --- sent another way --------------------------------------------------------------------------

@writes
def mark_sent(visit_id: int, service_id: int, how: str, on, actor_id: int) -> list[Referral]:
    """Record that the service's unsent referrals from the visit were sent by phone, portal or
    post on that day, by this organiser (the status rules check the date)."""
    if how not in OTHER_WAYS:
        raise DomainError("bad_how", "Choose how the referrals were sent", "sent_how")
    ids = list(db.session.scalars(_sendable(visit_id, service_id)
                                  .with_for_update(of=Referral)))
    if not ids:
        raise _nothing_to_send("sent_how")
    return change_status(ids, Change("sent", on, sent_how=how), By(actor_id))


# --- chasing -----------------------------------------------------------------------------------

def chase_email(referral_id: int, actor_id: int) -> None:
    """Chase a service for its answer on one referral: log the chase (today, audited) and queue
    an email with its form reference and a fresh link. Refused for a service without a secure
    email address, or a referral not waiting for an answer."""
    _chaseable(referral_id)
    ensure_reachable()
    _record_chase(referral_id, actor_id)
    try:
        enqueue(send_chase, referral_id)
    except QueueUnavailable:
        _record_problem(QUEUE_DOWN, referral_ids=[referral_id], last=True)
        raise


def _chase_facts(referral_id: int):
    """The referral's status and consent, its form reference and its service's route."""
    return db.session.execute(
        select(Referral.status, Referral.consent, CohortMember.form_reference,
               Service.name, Service.referral_route, Service.referral_email,
               (~not_restricted()).label("restricted"))
        .join(ReferralSet, Referral.set_id == ReferralSet.id)
        .join(CohortMember, ReferralSet.member_id == CohortMember.id)
        .join(Person, CohortMember.person_id == Person.id)
        .join(Service, Referral.service_id == Service.id)
        .where(Referral.id == referral_id)).first()


def _chaseable(referral_id: int):
    """The referral's facts, if it may be chased by email."""
    facts = _chase_facts(referral_id)
    if facts is None:
        raise DomainError("not_found", "That referral does not exist")
    if facts.referral_route != "email" or not facts.referral_email:
        raise DomainError("no_email_route", f"{facts.name} has no secure email address for "
                          "referrals in the directory, so it cannot be chased by email. "
                          "Contact it its own way.")
    if facts.restricted:
        raise DomainError("restricted", f"Referral {facts.form_reference} is of a man whose "
                          "data an administrator restricted, so it is not chased until the "
                          "restriction is lifted.")
    if not facts.consent or facts.status not in CHASEABLE:
        raise DomainError("not_waiting", f"Referral {facts.form_reference} is not waiting for "
                          "an answer, so there is nothing to chase.")
    return facts


@writes
def _record_chase(referral_id: int, actor_id: int) -> None:
    """Today's chase on the referral, audited."""
    referral = db.session.get(Referral, referral_id, with_for_update=True)
    referral.chased_on, referral.send_problem = today(), ""
    record("referral.chased", actor_id, "referral", referral_id)
    db.session.commit()


@task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=RETRY_BACKOFF, context=True)
def send_chase(referral_id: int, task=None) -> None:
    """Email the chase for one referral; nothing once it no longer waits for an answer."""
    message = _prepared(_chase_message, referral_id, task, referral_ids=[referral_id])
    if message is not None and _deliver(message, task, referral_ids=[referral_id]):
        _chase_sent(referral_id)


def _chase_message(referral_id: int):
    """The chase email with a fresh link, or None when the referral no longer waits."""
    tokens = _chase_link(referral_id)
    if not tokens:
        return None
    facts = _chase_facts(referral_id)
    url = _urls(tokens)[referral_id]
    end_read()
    return mail.chase_email(facts.referral_email, facts.form_reference, url)


@writes
def _chase_link(referral_id: int) -> dict[int, str]:
    """A fresh link for a referral that may still be chased (it replaces the earlier one)."""
    try:
        _chaseable(referral_id)
    except DomainError:
        db.session.rollback()
        return {}
    tokens = issue_links([referral_id])
    db.session.commit()
    return tokens


@writes
def _chase_sent(referral_id: int) -> None:
    """The chase reached the mail server: clear any earlier problem, audited."""
    db.session.execute(update(Referral).where(Referral.id == referral_id)
                       .values(send_problem=""))
    record("referral.chase_sent", None, "referral", referral_id)
    db.session.commit()
