"""A batch of PDFs for a session (every pack, or every pre-filled form), rendered by the workers
on the task queue a chunk at a time. The row holds what to print, its progress and, once done,
the PDF itself for a short while (it is personal data: it is deleted once it expires, see
``batches.purge_expired``); each finished chunk waits as a part until the last one joins them."""

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..database import UTCDateTime, db, one_of, utcnow

KINDS = {"packs": "Resource packs", "forms": "Pre-filled self-referral forms"}
STATES = ("queued", "running", "done", "failed")


class PrintJob(db.Model):
    """One session batch: what it prints, how far it has got, and the PDF when done."""

    __tablename__ = "print_jobs"
    __table_args__ = (
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint(one_of("state", STATES), name="state"),
        CheckConstraint("done >= 0 AND done <= total", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True,
                                           default=lambda: secrets.token_hex(8))
    session_id: Mapped[int] = mapped_column(ForeignKey("visit_sessions.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(String(8))
    variant: Mapped[str] = mapped_column(String(60), default="")  # what the organiser chose
    state: Mapped[str] = mapped_column(String(8), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int]
    members: Mapped[str] = mapped_column(Text, default="[]")  # cohort member ids, register order
    with_name: Mapped[bool] = mapped_column(default=False)
    include_unchecked: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=1)  # times queued: a stalled batch gets two
    reason: Mapped[str] = mapped_column(String(300), default="")  # why it failed, for people
    started_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    progressed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))


class PrintPart(db.Model):
    """One rendered chunk of a batch, kept until the last chunk joins them into its PDF."""

    __tablename__ = "print_parts"
    __table_args__ = (UniqueConstraint("job_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("print_jobs.id", ondelete="CASCADE"),
                                        index=True)
    number: Mapped[int]  # the chunk's place in the batch, from 0
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
