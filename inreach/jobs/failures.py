"""Tasks that failed for good, kept with a reason for the queue's admin page (a task that will
be retried is not a failure yet)."""

from huey import signals
from sqlalchemy import select

from ..database import db, writes
from ..errors import DomainError
from .models import TaskFailure
from .queue import _in_app, huey


@huey.signal(signals.SIGNAL_ERROR)
def task_failed(signal, task, exc=None) -> None:
    """A task raised: record it once it has no tries left."""
    if task.retries:
        return
    _in_app(record_failure, task.name, task.id, reason(exc))


def reason(exc: BaseException | None) -> str:
    """What went wrong, in words safe to show: our own message, or only the kind of error
    (a library's message may quote the data it was given)."""
    if isinstance(exc, DomainError):
        return exc.message[:300]
    return f"{type(exc).__name__} (details are in the worker's log)" if exc else "Unknown"


@writes
def record_failure(task: str, task_id: str, why: str) -> None:
    """Keep one failed task."""
    db.session.add(TaskFailure(task=task[:80], task_id=str(task_id)[:64], reason=why))
    db.session.commit()


def recent_failures(limit: int = 20) -> list[TaskFailure]:
    """The newest failures first."""
    return list(db.session.scalars(select(TaskFailure).order_by(TaskFailure.id.desc())
                                   .limit(limit)))
