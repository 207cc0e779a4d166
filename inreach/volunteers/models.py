"""Organisations that send volunteers, the volunteers, and their security clearance per prison."""

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import db, one_of
from ..prisons.models import Prison

ORGANISATION_KINDS = {
    "nhs_trust": "NHS trust",
    "probation": "Probation",
    "charity": "Charity",
    "prison": "Prison",
    "council": "Council",
    "other": "Other",
}
CLEARANCE_STATES = {
    "not_started": "Not started",
    "submitted": "Submitted",
    "cleared": "Cleared",
    "refused": "Refused",
    "expired": "Expired",
}
ID_TYPES = {
    "passport": "Passport",
    "driving_licence": "Driving licence",
    "nhs_smartcard": "NHS smartcard or staff ID",
    "probation_id": "Probation staff ID",
    "other": "Other photo ID",
}



class Organisation(db.Model):
    """An NHS trust, probation service, charity… whose people visit."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(one_of("kind", ORGANISATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))


class Volunteer(db.Model):
    """A person who goes into prisons on visits; may be linked to a volunteer login."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    job_title: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    archived: Mapped[bool] = mapped_column(default=False)

    organisation: Mapped[Organisation] = relationship()
    clearances: Mapped[list["Clearance"]] = relationship(
        back_populates="volunteer", cascade="all, delete-orphan", passive_deletes=True)


class Clearance(db.Model):
    """A volunteer's security clearance at one prison."""

    __tablename__ = "clearances"
    __table_args__ = (
        CheckConstraint(one_of("state", CLEARANCE_STATES), name="state"),
        CheckConstraint("expires_on IS NULL OR cleared_on IS NULL OR expires_on >= cleared_on",
                        name="expires_after_cleared"),
        UniqueConstraint("volunteer_id", "prison_id", name="uq_clearances_volunteer_prison"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"),
                                              index=True)
    prison_id: Mapped[int] = mapped_column(ForeignKey("prisons.id", ondelete="RESTRICT"),
                                           index=True)
    state: Mapped[str] = mapped_column(String(12), default="not_started")
    submitted_on: Mapped[date | None]
    cleared_on: Mapped[date | None]
    expires_on: Mapped[date | None]
    id_type: Mapped[str | None] = mapped_column(String(20))

    volunteer: Mapped[Volunteer] = relationship(back_populates="clearances")
    prison: Mapped[Prison] = relationship()
