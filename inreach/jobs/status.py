"""What the queue's admin page shows: whether the broker answers, when a worker last checked in,
what waits and for how long, and when each schedule last ran. Task names and times only: a
task's arguments (ids of people's records) are never shown."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app

from .queue import (
    BROKER_ERRORS,
    huey,
    queued_at,
    waiting,
    worker_fresh,
    worker_seen_seconds_ago,
)
from .schedules import SCHEDULES, last_run

# The queue hands tasks out oldest first, so the oldest queued one is among the first few read;
# reading a bounded number keeps the page quick however long the queue grows.
OLDEST_READ = 100


@dataclass(frozen=True)
class Schedule:
    """A periodic task and when it last ran (None: not since the broker was emptied)."""

    name: str
    description: str
    last_ran: datetime | None
    seconds_ago: float | None


@dataclass(frozen=True)
class QueueStatus:
    """The queue as the broker reports it; everything but ``broker`` and ``immediate`` is None
    when the broker does not answer."""

    broker: str  # "Redis" or "SQLite file"
    immediate: bool  # tasks run at once in the caller (a test setting): no worker, no queue
    answers: bool
    worker_seen_seconds_ago: float | None = None
    worker_fresh: bool = False
    waiting: int | None = None
    oldest_waiting_seconds: float | None = None
    schedules: tuple[Schedule, ...] = ()


def queue_status() -> QueueStatus:
    """Ask the broker about itself; a broker that does not answer gives ``answers=False``."""
    broker = "Redis" if current_app.config.get("REDIS_URL") else "SQLite file"
    immediate = bool(huey.immediate)
    try:
        seen = worker_seen_seconds_ago()
        count = waiting()
        oldest = _oldest_queued_at() if count else None
        ran = {name: last_run(name) for name in SCHEDULES}
    except BROKER_ERRORS:
        return QueueStatus(broker=broker, immediate=immediate, answers=False)
    now = time.time()
    schedules = tuple(
        Schedule(name, description, _moment(ran[name]),
                 None if ran[name] is None else max(now - ran[name], 0.0))
        for name, description in SCHEDULES.items())
    return QueueStatus(
        broker=broker, immediate=immediate, answers=True, worker_seen_seconds_ago=seen,
        worker_fresh=worker_fresh(seen), waiting=count,
        oldest_waiting_seconds=None if oldest is None else max(now - oldest, 0.0),
        schedules=schedules)


def _oldest_queued_at() -> float | None:
    """When the oldest waiting task was queued (scheduled tasks carry no time)."""
    times = [queued_at(task.id) for task in huey.pending(limit=OLDEST_READ)]
    return min((moment for moment in times if moment is not None), default=None)


def _moment(seconds: float | None) -> datetime | None:
    """Seconds since the epoch as a UTC moment."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)

