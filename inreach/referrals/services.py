"""The rules for recording self-referrals on the day, online, offline or from paper.

- Who: organisers and admins on any visit; volunteers only on visits they are rostered on
  (``attendance.services.may_mark`` is that one rule); auditors change nothing.
- What: services he chose must be referable and active; for each one he says yes or no to
  sharing his details. Yes makes a referral; no records the choice but sends nothing, and his
  pack tells him how to contact the service himself. Choosing nothing is "declined everything".
- Exactly once: every submission carries an id made on the client. The same id with the same
  content returns the first answer; with different content it is refused; two at once store
  one set (the database's unique keys decide, and the loser reads the winner's answer).
Each save is one short write transaction: every lookup once (the man, his visit's day and any
set of his in one query), then plain INSERTs for the new rows (the set, its referrals in one
statement, the audit rows of ids only in one, the submission): rows that are only written need
no unit of work. Changing a saved set loads it as objects, as its history compares old with new
values.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Row, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, make_transient_to_detached, selectinload

from ..accounts.models import User
from ..accounts.services import Actor
from ..attendance.services import may_mark, session_of
from ..audit.services import record, record_all
from ..cohorts.models import CohortMember, Person
from ..database import db, write_connection, writes
from ..dates import today
from ..directory.models import Service
from ..directory.rules import check_phone
from ..directory.services import is_known_area
from ..errors import DomainError, check_lengths
from ..validation import check_characters
from ..visits.models import Visit
from .consent import wording_id_for
from .models import (
    CONSENT_METHODS,
    CONTACT_BY,
    HOUSING,
    ConsentWording,
    Referral,
    ReferralSet,
    SetChange,
    Submission,
)

CLIENT_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
LABELS = {"release_area": "Release area", "phone": "Phone", "probation_name":
          "Probation practitioner's name", "probation_contact": "Probation practitioner's "
          "contact", "language": "Language", "notes": "Notes"}
FIELDS = ("housing", "release_area", "phone", "safe_message", "contact_by", "probation_name",
          "probation_contact", "easy_read", "large_print", "language", "consent_method",
          "notes", "channel", "paper_date")


def _placed(visit_id, session_id, public_id) -> tuple:
    """The conditions for the man with this public id placed in this session of this visit
    (values, or parameters bound when the statement runs)."""
    return (CohortMember.public_id == public_id, CohortMember.visit_id == visit_id,
            CohortMember.session_id == session_id)


# What every save runs, built once with its values bound per call: on SQLite, building a
# statement costs more than running it. Run as plain Core (``_read``, ``_write_rows``): they
# read and write rows, not objects.
SUBMISSION = select(Submission.set_id, Submission.content_hash).where(
    Submission.client_id == bindparam("client_id"))
MAN = (select(CohortMember.id, Visit.date.label("visit_day"), ReferralSet.id.label("set_id"),
              ReferralSet.public_id.label("set_public_id"))
       .join(Visit, Visit.id == CohortMember.visit_id)
       .outerjoin(ReferralSet, ReferralSet.member_id == CohortMember.id)
       .where(*_placed(bindparam("visit_id"), bindparam("session_id"), bindparam("public_id"))))
SERVICES = select(Service.id, Service.name, Service.referable, Service.status).where(
    Service.id.in_(bindparam("ids", expanding=True)))
NEW_SET = insert(ReferralSet).returning(ReferralSet.id)
NEW_REFERRALS = insert(Referral).returning(Referral.service_id, Referral.id)
NEW_SUBMISSION = insert(Submission)


@dataclass
class Capture:
    """One submission of the form for one man, as plain values."""

    client_id: str
    member: str  # his place on the cohort, by public id
    chosen: list[int] = field(default_factory=list)  # directory service ids
    consent: dict[int, bool | None] = field(default_factory=dict)  # service id -> yes / no
    consent_version: int | None = None
    consent_method: str = "verbal"
    housing: str = "unknown"
    release_area: str = ""
    phone: str = ""
    safe_message: bool | None = None
    contact_by: str = ""
    probation_name: str = ""
    probation_contact: str = ""
    easy_read: bool = False
    large_print: bool = False
    language: str = ""
    notes: str = ""
    channel: str = "tablet"
    paper_date: date | None = None
    set_id: str = ""  # the set being changed; blank for a new one


def content_hash(capture: Capture) -> str:
    """A fingerprint of what was submitted: everything but its id and the way it travelled
    (a resend from the outbox is the same submission)."""
    values = dict(vars(capture))  # a shallow copy: the lists below are replaced, not changed
    values.pop("client_id")
    values.pop("channel")
    values["chosen"] = sorted(values["chosen"])
    values["consent"] = sorted((str(key), value) for key, value in values["consent"].items())
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@writes
def save(visit_id: int, session_id: int, capture: Capture,
         actor: Actor | User) -> tuple[ReferralSet, bool]:
    """Store a submission once; returns the set and whether this was a repeat."""
    _check_allowed(actor, visit_id)  # before a repeat too: it hands back the stored set
    digest = content_hash(capture)
    repeat = _repeat(capture.client_id, digest)
    if repeat is not None:
        return repeat, True
    try:
        referral_set = _write(visit_id, session_id, capture, actor, digest)
    except IntegrityError:
        db.session.rollback()  # someone stored the same id, or this man, a moment ago
        return _stored_meanwhile(capture.client_id, digest, DomainError(
            "already_recorded", "Someone has just recorded this man's referrals. Open his "
            "record again to change it."))
    except DomainError as refused:
        if refused.code != "already_recorded":
            raise
        # His set may be this very submission, committed by a twin after we looked for it.
        db.session.rollback()
        return _stored_meanwhile(capture.client_id, digest, refused)
    return referral_set, False


def _stored_meanwhile(client_id: str, digest: str, refused: DomainError) -> tuple[ReferralSet,
                                                                                 bool]:
    """The first answer if the same submission was stored meanwhile; otherwise the refusal."""
    repeat = _repeat(client_id, digest)
    if repeat is None:
        raise refused
    return repeat, True


def _repeat(client_id: str, digest: str) -> ReferralSet | None:
    """The set a submission with this id already made, or None; refuses reuse of an id."""
    if not CLIENT_ID.fullmatch(client_id or ""):
        raise DomainError("bad_client_id", "This form is missing its submission id. Reload the "
                          "page and enter it again.")
    stored = _read(SUBMISSION, {"client_id": client_id}).first()
    if stored is None:
        return None
    if stored.content_hash != digest:
        raise DomainError("id_reused", "This submission id was already used for different "
                          "details, so nothing was saved. Reload the page and enter it again.")
    return db.session.get(ReferralSet, stored.set_id)


def _write(visit_id: int, session_id: int, capture: Capture, actor: Actor | User,
           digest: str) -> ReferralSet:
    """Check everything, then write the set, its referrals, history and audit rows."""
    man = _man(visit_id, session_id, capture.member)
    wanted = _chosen_services(capture)
    wording_id = wording_id_for(capture.consent_version)
    values = _checked_values(capture, man.visit_day)
    referral_set = _being_changed(man, capture.set_id)
    if referral_set is None:
        set_id = _create(man.id, session_id, values, wording_id, wanted, actor.id)
    else:
        set_id = _change(referral_set, values, wording_id, wanted, actor.id)
    _write_rows(NEW_SUBMISSION, {"client_id": capture.client_id, "set_id": set_id,
                                 "content_hash": digest})
    db.session.commit()
    return referral_set or _new_set(set_id)


def _create(member_id: int, session_id: int, values: dict, wording_id: int,
            wanted: dict[int, bool], actor_id: int) -> int:
    """Insert his new set and its referrals, with their audit rows; returns the set's id."""
    set_id = _write_rows(NEW_SET, {
        **values, "member_id": member_id, "session_id": session_id, "recorded_by": actor_id,
        "consent_wording_id": wording_id}).scalar_one()
    referral_ids = _add_referrals(set_id, wanted)
    record_all(actor_id, [("referral_set.created", "referral_set", set_id)]
               + [("referral.created", "referral", referral_id) for referral_id in referral_ids])
    return set_id


def _change(referral_set: ReferralSet, values: dict, wording_id: int,
            wanted: dict[int, bool], actor_id: int) -> int:
    """Change a saved set to match the submission, keeping its history, with audit rows;
    returns its id."""
    wording = db.session.get(ConsentWording, wording_id)
    _record_changes(referral_set, values, wording, wanted, actor_id)
    referral_set.consent_wording = wording
    for name, value in values.items():
        setattr(referral_set, name, value)
    referral_ids = _add_referrals(referral_set.id, _set_referrals(referral_set, wanted, actor_id))
    record_all(actor_id, [("referral.created", "referral", referral_id)
                          for referral_id in referral_ids])
    return referral_set.id


def _add_referrals(set_id: int, wanted: dict[int, bool]) -> list[int]:
    """Insert a referral for each of these services (service id -> he agreed to share) in one
    statement; returns their ids in the same order."""
    if not wanted:
        return []
    rows = [{"set_id": set_id, "service_id": service_id, "consent": agreed,
             "status": _referral_status(agreed)} for service_id, agreed in wanted.items()]
    # Matched up by service rather than by position, which would cost a statement per row.
    ids = dict(_write_rows(NEW_REFERRALS, rows).all())
    return [ids[service_id] for service_id in wanted]


def _referral_status(agreed: bool) -> str:
    """Made when he agreed to share his details; otherwise noted, and nothing is sent."""
    return "made" if agreed else "not_shared"


def _read(statement, values: dict):
    """Run one of the save's queries on the transaction's connection: rows, not objects."""
    return db.session.connection().execute(statement, values)


def _write_rows(statement, values: dict | list[dict]):
    """Run one of the save's INSERTs as plain Core (see ``write_connection``)."""
    return write_connection().execute(statement, values)


def _new_set(set_id: int) -> ReferralSet:
    """The set just inserted, as an object without a query: its columns load when first read
    (as they would after the commit anyway), so the outbox, which reads none, pays nothing."""
    referral_set = ReferralSet(id=set_id)
    make_transient_to_detached(referral_set)
    db.session.add(referral_set)
    return referral_set


def may_capture(user: Actor | User | None, visit_id: int) -> bool:
    """Planners on any visit; volunteers on visits they are rostered on."""
    return may_mark(user, visit_id)


def _check_allowed(actor: Actor | User, visit_id: int) -> None:
    """Refuse an actor who may not record on this visit."""
    if not may_capture(actor, visit_id):
        raise DomainError("not_allowed", "You can only record referrals on visits you are "
                          "rostered on")


def member_in_session(visit_id: int, session_id: int, public_id: str) -> CohortMember:
    """The man with this public id, if he is placed in this session of this visit (his visit
    loaded with him)."""
    member = db.session.scalar(select(CohortMember).options(joinedload(CohortMember.visit))
                               .where(*_placed(visit_id, session_id, public_id)))
    if member is None:
        _refuse_not_in_session(visit_id, session_id)
    return member


def _man(visit_id: int, session_id: int, public_id: str) -> Row:
    """What a save needs of the man placed in this session, in one query: his id, his visit's
    day, and the id and public id of his set (None before one is saved)."""
    man = _read(MAN, {"visit_id": visit_id, "session_id": session_id,
                     "public_id": public_id}).first()
    if man is None:
        _refuse_not_in_session(visit_id, session_id)
    return man


def _refuse_not_in_session(visit_id: int, session_id: int) -> None:
    """The error for a man not found in this session (not_found for a session of another
    visit)."""
    session_of(visit_id, session_id)
    raise DomainError("wrong_session", "That man is not in this session. Go back to the "
                      "session's list and choose him there.")


def _chosen_services(capture: Capture) -> dict[int, bool]:
    """His answer for each chosen service (service id -> he agreed to share), in the order
    chosen: each service referable and active, each with a yes or no."""
    chosen = list(dict.fromkeys(capture.chosen))
    found = {service.id: service
             for service in _read(SERVICES, {"ids": chosen})} if chosen else {}
    wanted = {}
    for service_id in chosen:
        service = found.get(service_id)
        if service is None or not service.referable or service.status != "active":
            raise DomainError("not_referable", "One of the services chosen no longer takes "
                              "referrals. Reload the page and choose again.", "chosen")
        if capture.consent.get(service_id) is None:
            raise DomainError("consent_missing", f"Say whether he agrees to share his details "
                              f"with {service.name}", f"consent_{service_id}")
        wanted[service_id] = bool(capture.consent[service_id])
    return wanted


def _checked_values(capture: Capture, visit_day: date) -> dict:
    """The set's own fields, each checked."""
    values = {name: getattr(capture, name) for name in FIELDS}
    for name in LABELS:
        values[name] = (values[name] or "").strip()
    check_lengths(ReferralSet, values, LABELS)
    for name, allowed, message in (("housing", HOUSING, "Choose where he will live"),
                                   ("consent_method", CONSENT_METHODS, "Choose how he gave "
                                    "consent"), ("contact_by", {"": "", **CONTACT_BY},
                                                 "Choose how to reach him")):
        if values[name] not in allowed:
            raise DomainError("bad_choice", message, name)
    if values["release_area"] and not is_known_area(values["release_area"]):
        raise DomainError("bad_choice", "Choose a release area from the list", "release_area")
    if values["phone"]:
        check_phone(values["phone"], "phone")
    else:
        values["safe_message"] = None
    _check_channel(values, visit_day)
    return values


def _check_channel(values: dict, visit_day: date) -> None:
    """Tablet or offline tablet today; paper with the date written on the form."""
    if values["channel"] not in ("tablet", "offline", "paper"):
        raise DomainError("bad_choice", "Unknown way of recording", "channel")
    if values["channel"] != "paper":
        values["paper_date"] = None
        return
    day = values["paper_date"]
    if day is None:
        raise DomainError("paper_date_missing", "Enter the date on the paper form", "paper_date")
    if day > today() or day < visit_day:
        raise DomainError("paper_date_range", "The date on the paper form must be between the "
                          "visit and today", "paper_date")


def _being_changed(man: Row, set_public_id: str) -> ReferralSet | None:
    """The set being changed, or None for a new one; a second new set for him is refused."""
    if man.set_id is None:
        return None
    if set_public_id != man.set_public_id:
        raise DomainError("already_recorded", "His referrals were already recorded. Open his "
                          "record again to change it, so nothing is lost.")
    return db.session.get(ReferralSet, man.set_id)


def _set_referrals(referral_set: ReferralSet, wanted: dict[int, bool],
                   actor_id: int) -> dict[int, bool]:
    """Make the set's referrals match his answers, keeping ones that did not change; returns
    the services still to add (inserted and audited by the caller)."""
    wanted = dict(wanted)
    for referral in list(referral_set.referrals):
        if referral.service_id not in wanted or referral.consent != wanted[referral.service_id]:
            _refuse_if_sent(referral)
        if referral.service_id not in wanted:
            record("referral.withdrawn", actor_id, "referral", referral.id)
            referral_set.referrals.remove(referral)
        elif referral.consent != wanted.pop(referral.service_id):
            referral.consent = not referral.consent
            referral.status = _referral_status(referral.consent)
            record("referral.changed", actor_id, "referral", referral.id)
    return wanted


def _refuse_if_sent(referral: Referral) -> None:
    """A referral already passed on (or being sent) stays as it is: the follow-up records what
    happens to it next."""
    if referral.status not in ("made", "not_shared") or referral.dispatch_id is not None:
        raise DomainError("already_sent", f"His referral to {referral.service.name} has already "
                          "been sent, so it cannot be changed here. Record what happens next on "
                          "the visit's follow-up board.")


def _record_changes(referral_set: ReferralSet, values: dict, wording: ConsentWording,
                    wanted: dict[int, bool], actor_id: int) -> None:
    """Keep who changed what: old and new values of each field that changed."""
    changes = {name: [_plain(getattr(referral_set, name)), _plain(value)]
               for name, value in values.items() if getattr(referral_set, name) != value}
    before = {referral.service_id: referral.consent for referral in referral_set.referrals}
    if before != wanted:
        changes["services"] = [_choices(before), _choices(wanted)]
    if referral_set.consent_wording.version != wording.version:
        changes["consent_version"] = [referral_set.consent_wording.version, wording.version]
    if changes:
        db.session.add(SetChange(set_id=referral_set.id, changed_by=actor_id,
                                 changes=json.dumps(changes, sort_keys=True)))
        record("referral_set.changed", actor_id, "referral_set", referral_set.id)


def _plain(value):
    """A value as JSON can hold it."""
    return value.isoformat() if isinstance(value, date) else value


def _choices(consent: dict[int, bool]) -> list[str]:
    """Service choices as sortable text, like "12:shared" or "7:not shared"."""
    return sorted(f"{service_id}:{'shared' if agreed else 'not shared'}"
                  for service_id, agreed in consent.items())


@dataclass
class BoardRow:
    """One man on a session's capture list, as plain values."""

    public_id: str
    first_name: str
    last_name: str
    number_end: str
    location: str
    status: str  # not_seen, in_progress, referred, declined


STATUS_TEXT = {"not_seen": "Not seen", "in_progress": "In progress (attended, nothing saved)",
               "referred": "Referred", "declined": "Declined everything"}


def board(visit_id: int, session_id: int) -> list[BoardRow]:
    """The session's men by name, each with how far his self-referrals have got."""
    sets = {row.member_id: row for row in db.session.scalars(
        select(ReferralSet).where(ReferralSet.session_id == session_id)
        .options(selectinload(ReferralSet.referrals)))}
    rows = []
    for member in session_members(visit_id, session_id):
        person = member.person
        rows.append(BoardRow(public_id=member.public_id, first_name=person.first_name,
                             last_name=person.last_name, number_end=person.prison_number[-3:],
                             location=person.location, status=_status(member, sets)))
    return rows


def _status(member: CohortMember, sets: dict) -> str:
    """Referred or declined once saved; in progress when he came but nothing is saved yet."""
    referral_set = sets.get(member.id)
    if referral_set is not None:
        return "declined" if referral_set.declined_everything else "referred"
    return "in_progress" if member.attendance == "attended" else "not_seen"


def session_members(visit_id: int, session_id: int) -> list[CohortMember]:
    """The men placed in a session of this visit, by last then first name."""
    session_of(visit_id, session_id)
    query = (select(CohortMember).join(Person).options(contains_eager(CohortMember.person))
             .where(CohortMember.visit_id == visit_id, CohortMember.session_id == session_id)
             .order_by(Person.last_name, Person.first_name, CohortMember.id))
    return list(db.session.scalars(query))


def set_for(member_id: int) -> ReferralSet | None:
    """His referral set on this visit, if any."""
    return db.session.scalar(select(ReferralSet).where(ReferralSet.member_id == member_id))


def member_by_reference(visit_id: int, session_id: int, reference: str) -> CohortMember:
    """The man whose paper form carries this reference, who must be in this session."""
    check_characters({"reference": reference}, {"reference": "The form reference"})
    code = reference.strip().upper().replace(" ", "")
    member = db.session.scalar(select(CohortMember).where(CohortMember.form_reference == code))
    if member is None or member.visit_id != visit_id or member.session_id != session_id:
        raise DomainError("unknown_reference", "No man in this session has that form "
                          "reference. Check the 6 characters by the QR code.", "reference")
    return member


@writes
def record_view(referral_set: ReferralSet, actor_id: int) -> None:
    """Audit that someone opened a man's saved referrals."""
    record("referral_set.viewed", actor_id, "referral_set", referral_set.id)
    db.session.commit()


@dataclass
class ChangeRow:
    """One entry in a set's history, as plain values."""

    when: datetime
    who: str
    fields: list[str]


def history(referral_set: ReferralSet) -> list[ChangeRow]:
    """Who changed his record, when and which parts, newest first."""
    query = (select(SetChange, User.display_name).join(User, User.id == SetChange.changed_by)
             .where(SetChange.set_id == referral_set.id).order_by(SetChange.id.desc()))
    return [ChangeRow(when=change.changed_at, who=name,
                      fields=sorted(json.loads(change.changes)))
            for change, name in db.session.execute(query)]
