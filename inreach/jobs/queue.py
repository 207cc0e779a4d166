"""The queue itself: one Huey instance configured from the app's settings, the ``task``
decorator that runs a task inside the app, and what the broker can tell about itself."""

import functools
import logging
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

import redis
from flask import Flask, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from redis import ConnectionPool

from ..errors import DomainError

log = logging.getLogger(__name__)
huey = Huey("inreach", results=False, utc=True, storage_class=MemoryStorage)
WORKER_SEEN = "worker-seen"  # the broker key a worker's check-in writes its time to
WORKER_FRESH_SECONDS = 90  # workers check in every minute; a little slack for a busy one
_app: Flask | None = None  # the app tasks run in, in a worker process


class QueueUnavailable(DomainError):
    """The broker did not answer (Redis down, or the queue file unreadable)."""

    def __init__(self):
        super().__init__("queue_unavailable", "The print queue cannot be reached just now, so "
                         "nothing was started. Try again in a minute; if it keeps happening, "
                         "tell whoever runs inreach.")


def init_app(app: Flask) -> None:
    """Point the queue at the app's broker: memory and at once in tests, Redis if its URL is
    set, else the SQLite file in the instance folder."""
    global _app
    _app = app
    if app.config["QUEUE_IMMEDIATE"]:
        huey.immediate = True
        huey.storage = huey.get_immediate_storage()  # nothing carried over from another app
        return
    huey.immediate = False
    huey.storage = _storage(app)


def _storage(app: Flask):
    """The broker named by the settings."""
    if app.config.get("REDIS_URL"):
        # Time limits, so a Redis that is down or unreachable gives an answer, not a hang.
        pool = ConnectionPool.from_url(app.config["REDIS_URL"], socket_connect_timeout=3,
                                       socket_timeout=10)
        return RedisStorage(huey.name, connection_pool=pool)
    path = Path(app.config.get("QUEUE_FILE") or Path(app.instance_path) / "queue.sqlite")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteStorage(huey.name, filename=str(path))


def task(schedule=None, **options):
    """Declare a background task (Huey's options: retries, retry_delay, context…), or with a
    ``schedule`` (a Huey crontab) a periodic one. It runs in the app, with a database session
    of its own that is removed afterwards."""

    def declare(function):
        @functools.wraps(function)
        def in_app(*args, **kwargs):
            return _in_app(function, *args, **kwargs)

        if schedule is not None:
            return huey.periodic_task(schedule, name=function.__name__, **options)(in_app)
        return huey.task(name=function.__name__, **options)(in_app)

    return declare


def _in_app(function, *args, **kwargs):
    """Call a function inside the app: the caller's context (at once, in tests), else a fresh
    one whose database session is removed afterwards (in a worker)."""
    if has_app_context():
        return function(*args, **kwargs)
    from ..database import db

    with _app.app_context():
        try:
            return function(*args, **kwargs)
        finally:
            db.session.remove()


# What the broker's clients raise when it does not answer (Redis down, the queue file unreadable).
BROKER_ERRORS = (OSError, ConnectionError, redis.exceptions.ConnectionError,
                 redis.exceptions.TimeoutError, sqlite3.OperationalError)


@contextmanager
def _broker_answers():
    """Turn the broker not answering into QueueUnavailable (logged by kind only)."""
    try:
        yield
    except BROKER_ERRORS as error:
        log.warning("queue unavailable: %s", type(error).__name__)
        raise QueueUnavailable() from error


def enqueue(task_function, *args) -> None:
    """Put a task on the queue, or raise QueueUnavailable if the broker does not answer. Its id
    starts with the time it was queued, so the admin page can tell how long the oldest waits."""
    queued = task_function.s(*args)
    queued.id = f"{time.time():.3f}-{queued.id}"
    with _broker_answers():
        huey.enqueue(queued)


def ensure_reachable() -> None:
    """Raise QueueUnavailable now if the broker does not answer (before recording anything
    that would need it)."""
    if not huey.immediate:
        with _broker_answers():
            waiting()


def queued_at(task_id: str) -> float | None:
    """When a task put on the queue by ``enqueue`` was queued (None for scheduled ones)."""
    try:
        return float(task_id.split("-", 1)[0])
    except ValueError:
        return None


def check_in() -> None:
    """A worker says it is alive (the health check reads this)."""
    huey.put(WORKER_SEEN, time.time())


def worker_seen_seconds_ago() -> float | None:
    """How long ago a worker last checked in, or None if none has."""
    seen = huey.get(WORKER_SEEN, peek=True)
    return None if seen is None else max(time.time() - seen, 0.0)


def waiting() -> int:
    """How many tasks wait on the queue (raises if the broker does not answer)."""
    return huey.pending_count()


def worker_fresh(seen_seconds_ago: float | None) -> bool:
    """Whether a worker checked in recently enough to count as running."""
    return seen_seconds_ago is not None and seen_seconds_ago <= WORKER_FRESH_SECONDS


def health() -> str:
    """"ok" if the broker answers and a worker checked in within ``WORKER_FRESH_SECONDS``,
    "no worker" if none did, "unavailable" if the broker does not answer."""
    if huey.immediate:
        return "ok"  # tasks run in the caller: there is no worker to wait for
    try:
        seen = worker_seen_seconds_ago()
    except BROKER_ERRORS:
        return "unavailable"
    return "ok" if worker_fresh(seen) else "no worker"
