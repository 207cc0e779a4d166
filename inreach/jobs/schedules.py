"""What runs on a schedule, in one place (the worker's scheduler queues these; a worker runs
them). Each records when it last ran, for the queue's admin page. Later areas add theirs here."""

import time

from huey import crontab

from ..backups import services as backups
from ..followup import sending
from ..packs import batches
from ..privacy import purge
from .queue import check_in, huey, task

SCHEDULES = {
    "check_in": "Worker check-in (every minute)",
    "recover_print_batches": "Stalled print batches queued again or failed (every minute)",
    "purge_print_batches": "Expired batch PDFs deleted (every 10 minutes)",
    "fail_stalled_dispatches": "Referral emails stalled past their retries failed, to be sent "
                               "again (every 10 minutes)",
    "purge_personal_data": "Personal data past its retention period removed (nightly, 02:30)",
    "backup_database": "Database backed up, backups older than BACKUP_KEEP_DAYS deleted (daily, "
                       "03:00, after the purge so a new backup holds nothing it removed)",
}


def last_run(name: str) -> float | None:
    """When a schedule last ran (seconds since the epoch), if it has."""
    return huey.get(f"schedule:{name}", peek=True)


def _ran(name: str) -> None:
    """Note that a schedule ran now."""
    huey.put(f"schedule:{name}", time.time())


@task(schedule=crontab(minute="*"))
def check_in_schedule() -> None:
    """A worker says it is alive (the health check and admin page read it)."""
    check_in()
    _ran("check_in")


@task(schedule=crontab(minute="*"))
def recover_print_batches() -> None:
    """Batches whose worker stopped are queued again once, then failed."""
    batches.recover_stalled()
    _ran("recover_print_batches")


@task(schedule=crontab(minute="*/10"))
def purge_print_batches() -> None:
    """Batch PDFs past their keeping time are deleted."""
    batches.purge_expired()
    _ran("purge_print_batches")


@task(schedule=crontab(minute="*/10"))
def fail_stalled_dispatches() -> None:
    """Referral emails whose worker stopped are failed, so they can be sent again."""
    sending.fail_stalled()
    _ran("fail_stalled_dispatches")


@task(schedule=crontab(minute="30", hour="2"))
def purge_personal_data() -> None:
    """Men past their retention periods are de-identified (the retention page sets them)."""
    purge.run_nightly()
    _ran("purge_personal_data")


@task(schedule=crontab(minute="0", hour="3"))
def backup_database() -> None:
    """The database is backed up and backups past their keeping time are deleted."""
    backups.run_daily()
    _ran("backup_database")
