"""Self-referrals on the day. A man seen at a session gets one referral set: how to reach him
after release, his pack preferences, the consent wording he was read, and one referral per
service he chose (made when he agreed to share his details, otherwise noted so his pack tells
him how to contact the service himself). Every submission carries an id made on the tablet, so
a repeat is recognised and stored once."""

import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cohorts.models import CohortMember
from ..database import UTCDateTime, db, one_of, utcnow
from ..directory.models import Service
from ..followup.vocabulary import SENT_HOW, STATUSES

HOUSING = {
    "address_known": "Address known",
    "no_fixed_abode": "No fixed abode",
    "approved_premises": "Approved premises",
    "unknown": "Don't know yet",
}
CONTACT_BY = {"phone": "Phone", "letter": "Letter", "probation": "Through probation"}
CONSENT_METHODS = {"verbal": "Verbal, after it was read to him", "signed": "Signed paper form"}
CHANNELS = {"tablet": "Tablet", "offline": "Offline tablet", "paper": "Paper form"}
NOTES_MAX = 500



class ConsentWording(db.Model):
    """A version of the consent wording read to men; a referral set keeps the one he heard."""

    __tablename__ = "consent_wordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferralSet(db.Model):
    """Everything recorded with one man at one visit (at most one set per man per visit)."""

    __tablename__ = "referral_sets"
    __table_args__ = (
        CheckConstraint(one_of("housing", HOUSING), name="housing"),
        CheckConstraint("contact_by = '' OR " + one_of("contact_by", CONTACT_BY),
                        name="contact_by"),
        CheckConstraint(one_of("consent_method", CONSENT_METHODS), name="consent_method"),
        CheckConstraint(one_of("channel", CHANNELS), name="channel"),
        CheckConstraint("channel <> 'paper' OR paper_date IS NOT NULL", name="paper_date"),
        CheckConstraint("safe_message IS NULL OR phone <> ''", name="message_needs_phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True,
                                           default=lambda: secrets.token_hex(8))
    member_id: Mapped[int] = mapped_column(
        ForeignKey("cohort_members.id", ondelete="RESTRICT"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("visit_sessions.id"), index=True)
    housing: Mapped[str] = mapped_column(String(20), default="unknown")
    release_area: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    safe_message: Mapped[bool | None]
    contact_by: Mapped[str] = mapped_column(String(10), default="")
    probation_name: Mapped[str] = mapped_column(String(120), default="")
    probation_contact: Mapped[str] = mapped_column(String(200), default="")
    easy_read: Mapped[bool] = mapped_column(default=False)
    large_print: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(60), default="")
    consent_wording_id: Mapped[int] = mapped_column(ForeignKey("consent_wordings.id"))
    consent_method: Mapped[str] = mapped_column(String(8), default="verbal")
    notes: Mapped[str] = mapped_column(String(NOTES_MAX), default="")
    channel: Mapped[str] = mapped_column(String(8), default="tablet")
    paper_date: Mapped[date | None]
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[CohortMember] = relationship()
    consent_wording: Mapped[ConsentWording] = relationship()
    referrals: Mapped[list["Referral"]] = relationship(
        back_populates="referral_set", cascade="all, delete-orphan", order_by="Referral.id")

    @property
    def declined_everything(self) -> bool:
        """He was offered help and chose no service: a valid outcome, recorded as such."""
        return not self.referrals


class Referral(db.Model):
    """A service he chose. ``made`` when he agreed to share his details with it; ``not_shared``
    when he did not, so nothing is sent and his pack says how to contact it himself. After the
    visit it moves through the statuses in ``inreach.followup.vocabulary`` (the rules live in
    ``inreach.followup.rules``); each move is a ``ReferralEvent``, and the latest facts are
    kept here so lists need no history."""

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("set_id", "service_id"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint("consent OR status = 'not_shared'", name="sent_only_with_consent"),
        CheckConstraint("status IN ('made', 'not_shared') OR sent_on IS NOT NULL",
                        name="sent_before_answered"),
        CheckConstraint("sent_how = '' OR " + one_of("sent_how", SENT_HOW), name="sent_how"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("referral_sets.id", ondelete="CASCADE"),
                                        index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("directory_services.id"), index=True)
    consent: Mapped[bool]
    status: Mapped[str] = mapped_column(String(14), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The follow-up, as it stands now (history in referral_events).
    sent_on: Mapped[date | None]
    sent_how: Mapped[str] = mapped_column(String(10), default="")
    answered_on: Mapped[date | None]
    first_contact_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    reason: Mapped[str] = mapped_column(String(20), default="")  # why declined or closed
    reason_other: Mapped[str] = mapped_column(String(200), default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sending by email: the dispatch carrying it now, and why the last attempt failed.
    dispatch_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral_dispatches.id", ondelete="SET NULL"), index=True)
    send_problem: Mapped[str] = mapped_column(String(300), default="")
    chased_on: Mapped[date | None]  # when an organiser last chased the service
    # IPS employment milestones (job starts are JobStart rows).
    profile_started_on: Mapped[date | None]
    employer_contact_on: Mapped[date | None]

    referral_set: Mapped[ReferralSet] = relationship(back_populates="referrals")
    service: Mapped[Service] = relationship()


class Submission(db.Model):
    """A form submission by its id made on the client: a repeat with the same content gets the
    first answer; the same id with different content is refused."""

    __tablename__ = "referral_submissions"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("referral_sets.id", ondelete="CASCADE"),
                                        index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    referral_set: Mapped[ReferralSet] = relationship()


class SetChange(db.Model):
    """History of a referral set: who changed what, and when (old and new values, as JSON)."""

    __tablename__ = "referral_set_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("referral_sets.id", ondelete="CASCADE"),
                                        index=True)
    changed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changes: Mapped[str] = mapped_column(Text)
