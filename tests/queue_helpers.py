"""Helpers for tests of work on the task queue: a real broker with no worker (Redis when the suite
is given INREACH_REDIS_URL, else a SQLite queue file), and running what waits on it in the test's
own process, one task at a time, as a worker would."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inreach.jobs.queue import huey


def broker_config(tmp_path: Path) -> dict:
    """App settings for a real queue nobody works on yet: Redis (the production shape) when the
    suite has a Redis URL, else a SQLite queue file in the test's folder."""
    return {"QUEUE_IMMEDIATE": False, "REDIS_URL": os.environ.get("INREACH_REDIS_URL"),
            "QUEUE_FILE": str(tmp_path / "queue.sqlite")}


def empty_queue() -> None:
    """Forget everything on the broker (Redis is shared by the tests that use it)."""
    huey.storage.flush_all()


def waiting_tasks() -> list[tuple[str, tuple]]:
    """What waits on the queue, oldest first: each task's name and arguments."""
    return [(task.name, task.args) for task in huey.pending()]


def run_next() -> str | None:
    """Take the next task off the queue and run it here; its name, or None if none waits."""
    task = huey.dequeue()
    if task is None:
        return None
    huey.execute(task)
    return task.name


def run_queue() -> list[str]:
    """Run what waits on the queue, and what that queues in turn, until it is empty."""
    ran = []
    while (name := run_next()) is not None:
        ran.append(name)
    return ran


def run_retries() -> list[tuple[str, datetime]]:
    """Run the retries waiting for their time (whatever their delay, as if it had passed); the
    name and due time of each."""
    tasks = huey.read_schedule(datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1))
    for task in tasks:
        huey.execute(task, timestamp=task.eta)
    return [(task.name, task.eta) for task in tasks]
