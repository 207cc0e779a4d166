"""What happens to a referral after the visit: each status change (who, when, how), the
emails that carry referrals to their services, the single-purpose links the receiving teams
answer by, and IPS job starts."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, one_of, utcnow
from ..referrals.models import Referral
from .vocabulary import HOW, MAX_HOURS, STATUSES


class ReferralEvent(db.Model):
    """One status change of a referral: the new status, the day it happened as told, why, how
    it was recorded and by whom (no user when the receiving service answered by link)."""

    __tablename__ = "referral_events"
    __table_args__ = (
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint(one_of("how", HOW), name="how"),
        CheckConstraint("how <> 'link' OR actor_id IS NULL", name="link_has_no_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"),
                                             index=True)
    status: Mapped[str] = mapped_column(String(14))
    from_status: Mapped[str] = mapped_column(String(14))
    on_date: Mapped[date]
    reason: Mapped[str] = mapped_column(String(20), default="")
    reason_other: Mapped[str] = mapped_column(String(200), default="")
    how: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    referral: Mapped[Referral] = relationship()


class Dispatch(db.Model):
    """One secure email carrying a visit's referrals to one service, sent by the task queue.
    ``key`` is made when the hand-off page is shown, so a repeated click finds this row instead
    of sending again; while it is queued its referrals point at it and no other send takes
    them."""

    __tablename__ = "referral_dispatches"
    __table_args__ = (
        CheckConstraint(one_of("state", ("queued", "sent", "failed")), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"),
                                          index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("directory_services.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    referral_ids: Mapped[str] = mapped_column(Text)  # JSON list, in the order sent
    state: Mapped[str] = mapped_column(String(8), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(300), default="")
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReferralLink(db.Model):
    """A link for the receiving team to answer one referral without an account. Only a hash of
    its token is kept. It closes when it expires, when a newer link replaces it, or a few days
    after the first answer (until then the answer can be corrected)."""

    __tablename__ = "referral_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"),
                                             index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    referral: Mapped[Referral] = relationship()


class LinkFailure(db.Model):
    """A request with a link that does not open (wrong, expired, replaced), by a keyed hash of
    the client's address, so guessing is slowed without keeping addresses."""

    __tablename__ = "referral_link_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_key: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class JobStart(db.Model):
    """A job he started after an IPS referral, as IPS Grow counts it: the start date, paid hours
    a week (a job start at JOB_START_HOURS or more) and whether he was still in work at 13 and
    26 weeks (None until someone checks). A man may have several."""

    __tablename__ = "job_starts"
    __table_args__ = (
        CheckConstraint(f"hours_per_week BETWEEN 0 AND {MAX_HOURS}", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"),
                                             index=True)
    started_on: Mapped[date]
    hours_per_week: Mapped[float]
    in_work_13_weeks: Mapped[bool | None]
    in_work_26_weeks: Mapped[bool | None]
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    referral: Mapped[Referral] = relationship()
