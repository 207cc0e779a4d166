"""Who goes in on a visit, in which sessions, and when they signed in and out."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db
from ..visits.models import Visit, VisitSession
from ..volunteers.models import Volunteer


class RosterEntry(db.Model):
    """A volunteer on a visit with their role on the day; signed in and out at the gate."""

    __tablename__ = "roster_entries"
    __table_args__ = (UniqueConstraint("visit_id", "volunteer_id",
                                       name="uq_roster_entries_visit_volunteer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="RESTRICT"),
                                              index=True)
    role_on_day: Mapped[str] = mapped_column(String(60))
    escorted: Mapped[bool] = mapped_column(default=False)
    # Set only through roster.services.confirm, which checks clearance for the visit date.
    confirmed: Mapped[bool] = mapped_column(default=False)
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    visit: Mapped[Visit] = relationship()
    volunteer: Mapped[Volunteer] = relationship()
    sessions: Mapped[list["RosterSession"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", passive_deletes=True)


class RosterSession(db.Model):
    """A rostered volunteer placed in one session of the visit."""

    __tablename__ = "roster_sessions"
    __table_args__ = (UniqueConstraint("roster_entry_id", "session_id",
                                       name="uq_roster_sessions_entry_session"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_entry_id: Mapped[int] = mapped_column(
        ForeignKey("roster_entries.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("visit_sessions.id", ondelete="RESTRICT"), index=True)

    entry: Mapped[RosterEntry] = relationship(back_populates="sessions")
    session: Mapped[VisitSession] = relationship()
