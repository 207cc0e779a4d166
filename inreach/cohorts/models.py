"""Men in prison due for release, and the cohort of each visit: who is on it, in which session,
and whether they came. Pages and URLs name people by ``public_id`` only, never by name or prison
number."""

import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, one_of, utcnow
from ..visits.models import Visit, VisitSession

PRISON_NUMBER = r"^[A-Z][0-9]{4}[A-Z]{2}$"
RELEASE_TYPES = {
    "CRD": "Conditional release date (on licence)",
    "ARD": "Automatic release date",
    "HDCED": "Home detention curfew eligibility date",
    "HDCAD": "Home detention curfew approved date",
    "PED": "Parole eligibility date",
    "other": "Other",
}
INTERESTS = {
    "employment": "Employment",
    "psychological_support": "Psychological support",
    "housing": "Housing",
    "finance_id": "Benefits, finance and ID",
    "substance_misuse": "Substance misuse",
    "family": "Family",
    "education": "Education",
}
DNA_REASONS = {
    "released_early": "Released early",
    "transferred": "Transferred",
    "refused": "Refused",
    "unwell": "Unwell",
    "in_court": "In court",
    "other": "Other",
}



def new_public_id() -> str:
    """An opaque id for URLs, so no name or prison number ever appears in one."""
    return secrets.token_hex(8)


# Letters and digits nobody confuses when copying from paper (no 0/O, 1/I/L).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_form_reference() -> str:
    """The short reference printed on his pre-filled paper form, typed in after the day."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


class Person(db.Model):
    """A man in prison. One row per prison number, so his history links up across visits."""

    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint(one_of("release_type", RELEASE_TYPES), name="release_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    prison_number: Mapped[str] = mapped_column(String(7), unique=True)
    first_name: Mapped[str] = mapped_column(String(60))
    last_name: Mapped[str] = mapped_column(String(60))
    date_of_birth: Mapped[date | None]
    release_date: Mapped[date | None]
    release_type: Mapped[str] = mapped_column(String(8), default="other")
    release_confirmed: Mapped[bool] = mapped_column(default=False)
    location: Mapped[str] = mapped_column(String(60), default="")
    release_area: Mapped[str] = mapped_column(String(80), default="")
    # Interest codes from INTERESTS, comma-separated (checked by the services).
    interests: Mapped[str] = mapped_column(String(200), default="")
    easy_read: Mapped[bool] = mapped_column(default=False)
    large_print: Mapped[bool] = mapped_column(default=False)
    interpreter_language: Mapped[str] = mapped_column(String(60), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When his identifying details were removed by the retention purge (the row stays, blanked,
    # so the report figures keep counting him); see inreach.privacy.purge.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Restriction of processing (his right under UK GDPR article 18): while set he is left out
    # of print batches and of sending referrals (inreach.privacy.rights).
    restricted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    restricted_reason: Mapped[str] = mapped_column(String(200), default="")


class CohortMember(db.Model):
    """A man on a visit's cohort: his session (once allocated) and his attendance on the day."""

    __tablename__ = "cohort_members"
    __table_args__ = (
        UniqueConstraint("visit_id", "person_id", name="uq_cohort_members_visit_person"),
        CheckConstraint("attendance IS NULL OR " + one_of("attendance", ("attended", "absent")),
                        name="attendance"),
        CheckConstraint("dna_reason IS NULL OR " + one_of("dna_reason", DNA_REASONS),
                        name="dna_reason"),
        CheckConstraint("attendance = 'absent' OR dna_reason IS NULL", name="reason_if_absent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"),
                                           index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("visit_sessions.id", ondelete="SET NULL"), index=True)
    form_reference: Mapped[str] = mapped_column(String(8), unique=True,
                                                default=new_form_reference)
    walk_in: Mapped[bool] = mapped_column(default=False)
    attendance: Mapped[str | None] = mapped_column(String(12))
    dna_reason: Mapped[str | None] = mapped_column(String(20))
    attendance_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    visit: Mapped[Visit] = relationship()
    person: Mapped[Person] = relationship()
    session: Mapped[VisitSession | None] = relationship()


class KeepApart(db.Model):
    """Two men on a visit's cohort who must not be in the same session (lower id first)."""

    __tablename__ = "keep_apart"
    __table_args__ = (
        UniqueConstraint("visit_id", "first_id", "second_id", name="uq_keep_apart_pair"),
        CheckConstraint("first_id < second_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    second_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
