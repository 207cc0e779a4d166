"""``flask --app inreach worker``: the consumer that runs queued and scheduled tasks in worker
processes. SIGTERM (as systemd and ``./dev run`` send) stops it gracefully: no new task starts,
running ones finish, and the worker processes end with it. Ctrl-C (SIGINT) stops it at once; a
chunk cut short that way is queued again by the stalled-batch schedule."""

import logging
import os

import click
from flask.cli import ScriptInfo, pass_script_info

from ..database import db
from .queue import check_in, huey


@click.command("worker")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: one per CPU core).")
@pass_script_info
def worker_command(info: ScriptInfo, workers: int | None):
    """Run the background worker until SIGTERM (graceful) or Ctrl-C (at once)."""
    app = info.load_app()
    if app.config["QUEUE_IMMEDIATE"]:
        raise click.ClickException("QUEUE_IMMEDIATE is set: tasks run at once, not here.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for chatty in ("weasyprint", "fontTools"):  # page-by-page progress: not worth a log line
        logging.getLogger(chatty).setLevel(logging.WARNING)
    consumer = huey.create_consumer(
        workers=workers or os.cpu_count() or 1, worker_type="process", periodic=True,
        graceful_signal="TERM", check_worker_health=True, scheduler_interval=10,
        max_delay=1.0)  # an idle worker looks for work every second (SQLite is polled)
    consumer.run()


@huey.on_startup()
def fresh_connections() -> None:
    """A forked worker opens its own database connections, never its parent's; then it
    checks in so the health check sees a worker at once."""
    from .queue import _app

    with _app.app_context():
        db.engine.dispose(close=False)
    check_in()
