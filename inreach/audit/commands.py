"""Command-line tasks of this area (registered by inreach.cli): checking the audit chain."""

import click
from flask.cli import with_appcontext

from ..database import db
from .chain import verify


@click.command("audit-verify")
@with_appcontext
def audit_verify_command():
    """Walk the audit trail's hash chain from the first row: print "intact, N rows" and the
    newest row's hash (note it somewhere else to notice rows cut off the end later), or the
    first broken link and exit with status 1."""
    with db.engine.connect() as connection:
        verdict = verify(connection)
    if verdict.intact:
        click.echo(f"Audit trail intact, {verdict.rows:,} rows. Newest hash: {verdict.head}")
        return
    click.echo(f"Audit trail BROKEN at row {verdict.broken_id} "
               f"({verdict.broken_at:%Y-%m-%d %H:%M:%S} UTC), after {verdict.rows:,} intact rows: "
               "that row was changed, or the row before it was removed.", err=True)
    raise SystemExit(1)


COMMANDS: list = [audit_verify_command]
