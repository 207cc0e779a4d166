"""The rules for recording self-referrals on the day, online, offline or from paper.

- Who: organisers and admins on any visit; volunteers only on visits they are rostered on
  (``attendance.services.may_mark`` is that one rule); auditors change nothing.
- What: services he chose must be referable and active; for each one he says yes or no to
  sharing his details. Yes makes a referral; no records the choice but sends nothing, and his
  pack tells him how to contact the service himself. Choosing nothing is "declined everything".
- Exactly once: every submission carries an id made on the client. The same id with the same
  content returns the first answer; with different content it is refused; two at once store
  one set (the database's unique keys decide, and the loser reads the winner's answer).
Each save is one short write transaction: every lookup once, one flush for the set, its
referrals and the submission, then the audit rows (ids only) in one insert.
"""

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..accounts.models import User
from ..attendance.services import may_mark, session_of
from ..audit.services import record, record_all
from ..cohorts.models import CohortMember, Person
from ..database import db, writes
from ..dates import today
from ..directory.models import Service
from ..directory.rules import check_phone
from ..directory.services import is_known_area
from ..errors import DomainError, check_lengths
from .consent import wording_version
from .models import (
    CONSENT_METHODS,
    CONTACT_BY,
    HOUSING,
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
    values = asdict(capture)
    values.pop("client_id")
    values.pop("channel")
    values["chosen"] = sorted(values["chosen"])
    values["consent"] = sorted((str(key), value) for key, value in values["consent"].items())
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@writes
def save(visit_id: int, session_id: int, capture: Capture, actor: User) -> tuple[ReferralSet,
                                                                                 bool]:
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
    stored = db.session.get(Submission, client_id)
    if stored is None:
        return None
    if stored.content_hash != digest:
        raise DomainError("id_reused", "This submission id was already used for different "
                          "details, so nothing was saved. Reload the page and enter it again.")
    return db.session.get(ReferralSet, stored.set_id)


def _write(visit_id: int, session_id: int, capture: Capture, actor: User,
           digest: str) -> ReferralSet:
    """Check everything, then write the set, its referrals, history and audit rows."""
    member = member_in_session(visit_id, session_id, capture.member)
    services = _chosen_services(capture)
    wording = wording_version(capture.consent_version)
    values = _checked_values(capture, member.visit.date)
    referral_set = _existing(member, capture.set_id)
    created = referral_set is None
    if created:
        referral_set = ReferralSet(member=member, session_id=session_id, recorded_by=actor.id,
                                   consent_wording=wording, **values)
        db.session.add(referral_set)
    else:
        _record_changes(referral_set, values, capture, actor.id)
        referral_set.consent_wording = wording
        for name, value in values.items():
            setattr(referral_set, name, value)
    added = _set_referrals(referral_set, services, capture.consent, actor.id)
    db.session.add(Submission(client_id=capture.client_id, referral_set=referral_set,
                              content_hash=digest))
    db.session.flush()  # once: the new rows' ids, for the audit rows
    record_all(actor.id, [("referral_set.created", "referral_set", referral_set.id)] * created
               + [("referral.created", "referral", referral.id) for referral in added])
    db.session.commit()
    return referral_set


def may_capture(user: User | None, visit_id: int) -> bool:
    """Planners on any visit; volunteers on visits they are rostered on."""
    return may_mark(user, visit_id)


def _check_allowed(actor: User, visit_id: int) -> None:
    """Refuse an actor who may not record on this visit."""
    if not may_capture(actor, visit_id):
        raise DomainError("not_allowed", "You can only record referrals on visits you are "
                          "rostered on")


def member_in_session(visit_id: int, session_id: int, public_id: str) -> CohortMember:
    """The man with this public id, if he is placed in this session of this visit (his visit
    loaded with him)."""
    member = db.session.scalar(select(CohortMember).options(joinedload(CohortMember.visit))
                               .where(CohortMember.public_id == public_id,
                                      CohortMember.visit_id == visit_id,
                                      CohortMember.session_id == session_id))
    if member is None:
        session_of(visit_id, session_id)  # not_found for a session of another visit
        raise DomainError("wrong_session", "That man is not in this session. Go back to the "
                          "session's list and choose him there.")
    return member


def _chosen_services(capture: Capture) -> list[Service]:
    """The chosen services: each referable and active, each with a yes or no to sharing."""
    wanted = list(dict.fromkeys(capture.chosen))
    found = {service.id: service for service in db.session.scalars(
        select(Service).where(Service.id.in_(wanted)))} if wanted else {}
    services = []
    for service_id in wanted:
        service = found.get(service_id)
        if service is None or not service.referable or service.status != "active":
            raise DomainError("not_referable", "One of the services chosen no longer takes "
                              "referrals. Reload the page and choose again.", "chosen")
        if capture.consent.get(service_id) is None:
            raise DomainError("consent_missing", f"Say whether he agrees to share his details "
                              f"with {service.name}", f"consent_{service_id}")
        services.append(service)
    return services


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


def _existing(member: CohortMember, set_public_id: str) -> ReferralSet | None:
    """The set being changed, or None for a new one; a second new set for him is refused."""
    current = db.session.scalar(select(ReferralSet).where(ReferralSet.member_id == member.id))
    if current is None:
        return None
    if set_public_id != current.public_id:
        raise DomainError("already_recorded", "His referrals were already recorded. Open his "
                          "record again to change it, so nothing is lost.")
    return current


def _set_referrals(referral_set: ReferralSet, services: list[Service],
                   consent: dict[int, bool | None], actor_id: int) -> list[Referral]:
    """Make the referrals match his choices, keeping ones that did not change; returns the
    new ones (audited by the caller once they have ids)."""
    wanted = {service.id: bool(consent[service.id]) for service in services}
    for referral in list(referral_set.referrals):
        if referral.service_id not in wanted:
            record("referral.withdrawn", actor_id, "referral", referral.id)
            referral_set.referrals.remove(referral)
        elif referral.consent != wanted.pop(referral.service_id):
            referral.consent = not referral.consent
            referral.status = "made" if referral.consent else "not_shared"
            record("referral.changed", actor_id, "referral", referral.id)
    added = [Referral(service_id=service_id, consent=agreed,
                      status="made" if agreed else "not_shared")
             for service_id, agreed in wanted.items()]
    referral_set.referrals.extend(added)
    return added


def _record_changes(referral_set: ReferralSet, values: dict, capture: Capture,
                    actor_id: int) -> None:
    """Keep who changed what: old and new values of each field that changed."""
    changes = {name: [_plain(getattr(referral_set, name)), _plain(value)]
               for name, value in values.items() if getattr(referral_set, name) != value}
    before = {referral.service_id: referral.consent for referral in referral_set.referrals}
    after = {service_id: bool(capture.consent.get(service_id))
             for service_id in dict.fromkeys(capture.chosen)}
    if before != after:
        changes["services"] = [_choices(before), _choices(after)]
    if referral_set.consent_wording.version != capture.consent_version:
        changes["consent_version"] = [referral_set.consent_wording.version,
                                      capture.consent_version]
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
