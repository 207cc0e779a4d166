"""A visit is one in-reach day at one prison; its sessions are the time slots in rooms."""

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, utcnow
from ..prisons.models import Prison

STATUSES = {
    "draft": "Draft",
    "confirmed": "Confirmed",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
STATUS_CHECK = "status IN (" + ", ".join(f"'{status}'" for status in STATUSES) + ")"


class Visit(db.Model):
    """One in-reach day: where, when, who at the prison to call, and when the gate list is due."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="status"),
        CheckConstraint("eligible_from_days >= 0 AND eligible_to_days >= eligible_from_days",
                        name="eligibility_window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prison_id: Mapped[int] = mapped_column(ForeignKey("prisons.id", ondelete="RESTRICT"),
                                           index=True)
    date: Mapped[date]
    title: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(Text, default="")
    arrival_time: Mapped[time | None]
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_role: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    gate_list_deadline: Mapped[date]
    status: Mapped[str] = mapped_column(String(12), default="draft")
    # Men are eligible when due for release this many days after the visit, inclusive.
    eligible_from_days: Mapped[int] = mapped_column(default=0, server_default="0")
    eligible_to_days: Mapped[int] = mapped_column(default=90, server_default="90")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    prison: Mapped[Prison] = relationship()
    sessions: Mapped[list["VisitSession"]] = relationship(
        back_populates="visit", order_by="VisitSession.starts_at",
        cascade="all, delete-orphan", passive_deletes=True)


class VisitSession(db.Model):
    """A time slot of a visit in one room, for up to ``capacity`` men (its cohort)."""

    __tablename__ = "visit_sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity BETWEEN 1 AND 200", name="capacity_range"),
        UniqueConstraint("visit_id", "label", name="uq_visit_sessions_label"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    room: Mapped[str] = mapped_column(String(80))
    capacity: Mapped[int]
    roles_wanted: Mapped[str] = mapped_column(String(200), default="")

    visit: Mapped[Visit] = relationship(back_populates="sessions")
